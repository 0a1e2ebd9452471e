# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_msctl_global_optspecs
    string join \n f/file= p/project-name= project-directory= env-file= profile= format= q/quiet v/verbose no-color target= h/help V/version
end

function __fish_msctl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_msctl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_msctl_using_subcommand
    set -l cmd (__fish_msctl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c msctl -n "__fish_msctl_needs_command" -s f -l file -d 'Manifest file (repeatable; later files override earlier ones)' -r -F
complete -c msctl -n "__fish_msctl_needs_command" -s p -l project-name -l project -d 'Project name (default: `name:` in the manifest, else the directory name)' -r
complete -c msctl -n "__fish_msctl_needs_command" -l project-directory -d 'Directory relative paths are resolved against (default: the first manifest\'s)' -r -F
complete -c msctl -n "__fish_msctl_needs_command" -l env-file -d 'Env file for interpolation (default: `.env` in the project directory)' -r -F
complete -c msctl -n "__fish_msctl_needs_command" -l profile -d 'Enable services of this profile (repeatable; `*` enables all)' -r
complete -c msctl -n "__fish_msctl_needs_command" -l format -d 'Output format of commands that print data' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c msctl -n "__fish_msctl_needs_command" -l target -d 'Where the project runs: `local` (this engine\'s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)' -r -f -a "local\t''
swarm\t''"
complete -c msctl -n "__fish_msctl_needs_command" -s q -l quiet -d 'Print only errors on stderr'
complete -c msctl -n "__fish_msctl_needs_command" -s v -l verbose -d 'More detail on stderr (-v info, -vv debug, -vvv trace)'
complete -c msctl -n "__fish_msctl_needs_command" -l no-color -d 'Never colour output (also: NO_COLOR, CI=true)'
complete -c msctl -n "__fish_msctl_needs_command" -s h -l help -d 'Print help'
complete -c msctl -n "__fish_msctl_needs_command" -s V -l version -d 'Print version'
complete -c msctl -n "__fish_msctl_needs_command" -f -a "validate" -d 'Check the manifests; print a summary, or every problem with its place'
complete -c msctl -n "__fish_msctl_needs_command" -f -a "config" -d 'Print the resolved manifest: merged, interpolated, defaults applied'
complete -c msctl -n "__fish_msctl_needs_command" -f -a "up" -d 'Build what is missing or changed, then create and start replicas until all are ready'
complete -c msctl -n "__fish_msctl_needs_command" -f -a "plan" -d 'Print what `up` would do, one line per action, changing nothing'
complete -c msctl -n "__fish_msctl_needs_command" -f -a "down" -d 'Stop and remove the project\'s containers and networks'
complete -c msctl -n "__fish_msctl_needs_command" -f -a "ps" -d 'List the project\'s replicas with their state and health'
complete -c msctl -n "__fish_msctl_needs_command" -f -a "scale" -d 'Set the number of replicas of services: SERVICE=N'
complete -c msctl -n "__fish_msctl_needs_command" -f -a "logs" -d 'Show the logs of services\' replicas, merged in time order'
complete -c msctl -n "__fish_msctl_needs_command" -f -a "build" -d 'Build or rebuild services\' images'
complete -c msctl -n "__fish_msctl_needs_command" -f -a "pull" -d 'Pull services\' images from their registries'
complete -c msctl -n "__fish_msctl_needs_command" -f -a "push" -d 'Push the images msctl builds to their registries'
complete -c msctl -n "__fish_msctl_needs_command" -f -a "restart" -d 'Restart services one replica at a time, each ready before the next'
complete -c msctl -n "__fish_msctl_needs_command" -f -a "rollback" -d 'Roll a service back to its config before its last completed rollout'
complete -c msctl -n "__fish_msctl_needs_command" -f -a "history" -d 'List a service\'s rollouts: when, how they ended, from which image to which'
complete -c msctl -n "__fish_msctl_needs_command" -f -a "exec" -d 'Run a command in a running replica'
complete -c msctl -n "__fish_msctl_needs_command" -f -a "run" -d 'Run a one-off command in a new container of a service (dependencies first)'
complete -c msctl -n "__fish_msctl_needs_command" -f -a "rm" -d 'Remove stopped containers of the services (one-off containers too)'
complete -c msctl -n "__fish_msctl_needs_command" -f -a "wait" -d 'Wait until the services\' containers stop; exit with the first one\'s exit code'
complete -c msctl -n "__fish_msctl_needs_command" -f -a "create" -d 'Create the services\' replicas without starting them (`start` or `up` does)'
complete -c msctl -n "__fish_msctl_needs_command" -f -a "attach" -d 'Attach to a replica\'s main process: its output, and your input'
complete -c msctl -n "__fish_msctl_needs_command" -f -a "cp" -d 'Copy files between a service\'s containers and this machine'
complete -c msctl -n "__fish_msctl_needs_command" -f -a "stats" -d 'Live CPU, memory, network and block I/O of each replica'
complete -c msctl -n "__fish_msctl_needs_command" -f -a "events" -d 'Show what happened to projects: replicas that died and were replaced, backoff, scaling'
complete -c msctl -n "__fish_msctl_needs_command" -f -a "serve" -d 'Run the control plane in the foreground: keep projects healthy, serve the HTTP API'
complete -c msctl -n "__fish_msctl_needs_command" -f -a "resolver" -d 'Answer readiness-gated service names (DNS) on the networks\' gateways; `up` runs it in a container of its own, one per engine'
complete -c msctl -n "__fish_msctl_needs_command" -f -a "export" -d 'Translate the project into another orchestrator\'s manifests'
complete -c msctl -n "__fish_msctl_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c msctl -n "__fish_msctl_needs_command" -f -a "version" -d 'Show msctl\'s version, the Docker engine\'s, and the API version they speak'
complete -c msctl -n "__fish_msctl_needs_command" -f -a "top" -d 'Show the processes running in services\' containers'
complete -c msctl -n "__fish_msctl_needs_command" -f -a "port" -d 'Print the host address a service\'s container port is published on'
complete -c msctl -n "__fish_msctl_needs_command" -f -a "images" -d 'List the images services\' containers run'
complete -c msctl -n "__fish_msctl_needs_command" -f -a "ls" -d 'List the projects with containers on this engine'
complete -c msctl -n "__fish_msctl_needs_command" -f -a "stop" -d 'Stop services\' replicas, and keep self-heal from starting them until `start`'
complete -c msctl -n "__fish_msctl_needs_command" -f -a "start" -d 'Start services\' stopped replicas again'
complete -c msctl -n "__fish_msctl_needs_command" -f -a "kill" -d 'Send services\' replicas a signal (SIGKILL: force stop, held like `stop`)'
complete -c msctl -n "__fish_msctl_needs_command" -f -a "pause" -d 'Freeze services\' running replicas, and keep self-heal off them until `unpause`'
complete -c msctl -n "__fish_msctl_needs_command" -f -a "unpause" -d 'Thaw services\' paused replicas'
complete -c msctl -n "__fish_msctl_needs_command" -f -a "watch" -d 'Bring services up, then rebuild and roll, sync or restart them as their files change'
complete -c msctl -n "__fish_msctl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c msctl -n "__fish_msctl_using_subcommand validate" -s f -l file -d 'Manifest file (repeatable; later files override earlier ones)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand validate" -s p -l project-name -l project -d 'Project name (default: `name:` in the manifest, else the directory name)' -r
complete -c msctl -n "__fish_msctl_using_subcommand validate" -l project-directory -d 'Directory relative paths are resolved against (default: the first manifest\'s)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand validate" -l env-file -d 'Env file for interpolation (default: `.env` in the project directory)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand validate" -l profile -d 'Enable services of this profile (repeatable; `*` enables all)' -r
complete -c msctl -n "__fish_msctl_using_subcommand validate" -l format -d 'Output format of commands that print data' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c msctl -n "__fish_msctl_using_subcommand validate" -l target -d 'Where the project runs: `local` (this engine\'s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)' -r -f -a "local\t''
swarm\t''"
complete -c msctl -n "__fish_msctl_using_subcommand validate" -l strict -d 'Treat every warning (risky settings, ignored keys, unset variables) as an error'
complete -c msctl -n "__fish_msctl_using_subcommand validate" -s q -l quiet -d 'Print only errors on stderr'
complete -c msctl -n "__fish_msctl_using_subcommand validate" -s v -l verbose -d 'More detail on stderr (-v info, -vv debug, -vvv trace)'
complete -c msctl -n "__fish_msctl_using_subcommand validate" -l no-color -d 'Never colour output (also: NO_COLOR, CI=true)'
complete -c msctl -n "__fish_msctl_using_subcommand validate" -s h -l help -d 'Print help'
complete -c msctl -n "__fish_msctl_using_subcommand validate" -s V -l version -d 'Print version'
complete -c msctl -n "__fish_msctl_using_subcommand config" -l hash -d 'Print each service\'s config hash (`*` or a comma-separated list of services)' -r
complete -c msctl -n "__fish_msctl_using_subcommand config" -s f -l file -d 'Manifest file (repeatable; later files override earlier ones)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand config" -s p -l project-name -l project -d 'Project name (default: `name:` in the manifest, else the directory name)' -r
complete -c msctl -n "__fish_msctl_using_subcommand config" -l project-directory -d 'Directory relative paths are resolved against (default: the first manifest\'s)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand config" -l env-file -d 'Env file for interpolation (default: `.env` in the project directory)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand config" -l profile -d 'Enable services of this profile (repeatable; `*` enables all)' -r
complete -c msctl -n "__fish_msctl_using_subcommand config" -l format -d 'Output format of commands that print data' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c msctl -n "__fish_msctl_using_subcommand config" -l target -d 'Where the project runs: `local` (this engine\'s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)' -r -f -a "local\t''
swarm\t''"
complete -c msctl -n "__fish_msctl_using_subcommand config" -l services -d 'Print only the service names, one per line'
complete -c msctl -n "__fish_msctl_using_subcommand config" -l volumes -d 'Print only the volume names, one per line'
complete -c msctl -n "__fish_msctl_using_subcommand config" -l networks -d 'Print only the networks names, one per line'
complete -c msctl -n "__fish_msctl_using_subcommand config" -l profiles -d 'Print only the profile names, one per line'
complete -c msctl -n "__fish_msctl_using_subcommand config" -l images -d 'Print only the images of the services, one per line'
complete -c msctl -n "__fish_msctl_using_subcommand config" -s q -l quiet -d 'Print only errors on stderr'
complete -c msctl -n "__fish_msctl_using_subcommand config" -s v -l verbose -d 'More detail on stderr (-v info, -vv debug, -vvv trace)'
complete -c msctl -n "__fish_msctl_using_subcommand config" -l no-color -d 'Never colour output (also: NO_COLOR, CI=true)'
complete -c msctl -n "__fish_msctl_using_subcommand config" -s h -l help -d 'Print help'
complete -c msctl -n "__fish_msctl_using_subcommand config" -s V -l version -d 'Print version'
complete -c msctl -n "__fish_msctl_using_subcommand up" -l timeout -d 'Longest wait for every replica to be ready, in seconds' -r
complete -c msctl -n "__fish_msctl_using_subcommand up" -l pull -d 'Pull images before starting: `always`, `missing`, `never` [default: each service\'s `pull_policy`]' -r -f -a "always\t''
missing\t''
never\t''"
complete -c msctl -n "__fish_msctl_using_subcommand up" -s f -l file -d 'Manifest file (repeatable; later files override earlier ones)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand up" -s p -l project-name -l project -d 'Project name (default: `name:` in the manifest, else the directory name)' -r
complete -c msctl -n "__fish_msctl_using_subcommand up" -l project-directory -d 'Directory relative paths are resolved against (default: the first manifest\'s)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand up" -l env-file -d 'Env file for interpolation (default: `.env` in the project directory)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand up" -l profile -d 'Enable services of this profile (repeatable; `*` enables all)' -r
complete -c msctl -n "__fish_msctl_using_subcommand up" -l format -d 'Output format of commands that print data' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c msctl -n "__fish_msctl_using_subcommand up" -l target -d 'Where the project runs: `local` (this engine\'s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)' -r -f -a "local\t''
swarm\t''"
complete -c msctl -n "__fish_msctl_using_subcommand up" -s d -l detach -d 'Return once replicas are started, without waiting for them to be ready'
complete -c msctl -n "__fish_msctl_using_subcommand up" -l remove-orphans -d 'Also remove containers of services no longer in the manifest'
complete -c msctl -n "__fish_msctl_using_subcommand up" -l force-recreate -d 'Recreate every replica, even unchanged ones'
complete -c msctl -n "__fish_msctl_using_subcommand up" -l no-recreate -d 'Never recreate existing replicas, even changed ones'
complete -c msctl -n "__fish_msctl_using_subcommand up" -l no-build -d 'Do not build images, even missing ones'
complete -c msctl -n "__fish_msctl_using_subcommand up" -l build -d 'Build images before starting, even unchanged ones'
complete -c msctl -n "__fish_msctl_using_subcommand up" -l reset-scale -d 'Forget counts set by `scale`: use the manifest\'s replicas again'
complete -c msctl -n "__fish_msctl_using_subcommand up" -l no-self-heal -d 'Do not keep the project healthy afterwards: no control plane replaces replicas that die (also: MSCTL_SELF_HEAL=0)'
complete -c msctl -n "__fish_msctl_using_subcommand up" -l dry-run -d 'Print the plan, one line per action, and change nothing (as `msctl plan`)'
complete -c msctl -n "__fish_msctl_using_subcommand up" -s q -l quiet -d 'Print only errors on stderr'
complete -c msctl -n "__fish_msctl_using_subcommand up" -s v -l verbose -d 'More detail on stderr (-v info, -vv debug, -vvv trace)'
complete -c msctl -n "__fish_msctl_using_subcommand up" -l no-color -d 'Never colour output (also: NO_COLOR, CI=true)'
complete -c msctl -n "__fish_msctl_using_subcommand up" -s h -l help -d 'Print help'
complete -c msctl -n "__fish_msctl_using_subcommand up" -s V -l version -d 'Print version'
complete -c msctl -n "__fish_msctl_using_subcommand plan" -l pull -d 'Plan pulling images: `always`, `missing`, `never` [default: each service\'s `pull_policy`]' -r -f -a "always\t''
missing\t''
never\t''"
complete -c msctl -n "__fish_msctl_using_subcommand plan" -s f -l file -d 'Manifest file (repeatable; later files override earlier ones)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand plan" -s p -l project-name -l project -d 'Project name (default: `name:` in the manifest, else the directory name)' -r
complete -c msctl -n "__fish_msctl_using_subcommand plan" -l project-directory -d 'Directory relative paths are resolved against (default: the first manifest\'s)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand plan" -l env-file -d 'Env file for interpolation (default: `.env` in the project directory)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand plan" -l profile -d 'Enable services of this profile (repeatable; `*` enables all)' -r
complete -c msctl -n "__fish_msctl_using_subcommand plan" -l format -d 'Output format of commands that print data' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c msctl -n "__fish_msctl_using_subcommand plan" -l target -d 'Where the project runs: `local` (this engine\'s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)' -r -f -a "local\t''
swarm\t''"
complete -c msctl -n "__fish_msctl_using_subcommand plan" -l detailed-exitcode -d 'Exit 0 when nothing would change, 2 when something would, 1 on error'
complete -c msctl -n "__fish_msctl_using_subcommand plan" -l remove-orphans -d 'Plan removing containers of services no longer in the manifest'
complete -c msctl -n "__fish_msctl_using_subcommand plan" -l force-recreate -d 'Plan recreating every replica, even unchanged ones'
complete -c msctl -n "__fish_msctl_using_subcommand plan" -l no-recreate -d 'Plan never recreating existing replicas'
complete -c msctl -n "__fish_msctl_using_subcommand plan" -l no-build -d 'Plan building no image'
complete -c msctl -n "__fish_msctl_using_subcommand plan" -l build -d 'Plan building every buildable image'
complete -c msctl -n "__fish_msctl_using_subcommand plan" -l reset-scale -d 'Plan with the manifest\'s replicas, forgetting counts set by `scale`'
complete -c msctl -n "__fish_msctl_using_subcommand plan" -s q -l quiet -d 'Print only errors on stderr'
complete -c msctl -n "__fish_msctl_using_subcommand plan" -s v -l verbose -d 'More detail on stderr (-v info, -vv debug, -vvv trace)'
complete -c msctl -n "__fish_msctl_using_subcommand plan" -l no-color -d 'Never colour output (also: NO_COLOR, CI=true)'
complete -c msctl -n "__fish_msctl_using_subcommand plan" -s h -l help -d 'Print help'
complete -c msctl -n "__fish_msctl_using_subcommand plan" -s V -l version -d 'Print version'
complete -c msctl -n "__fish_msctl_using_subcommand down" -l rmi -d 'Also remove images: `local` (built by msctl) or `all`' -r -f -a "local\t''
all\t''"
complete -c msctl -n "__fish_msctl_using_subcommand down" -s t -l timeout -d 'Seconds to wait for each container to stop before killing it (default: its stop_grace_period)' -r
complete -c msctl -n "__fish_msctl_using_subcommand down" -s f -l file -d 'Manifest file (repeatable; later files override earlier ones)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand down" -s p -l project-name -l project -d 'Project name (default: `name:` in the manifest, else the directory name)' -r
complete -c msctl -n "__fish_msctl_using_subcommand down" -l project-directory -d 'Directory relative paths are resolved against (default: the first manifest\'s)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand down" -l env-file -d 'Env file for interpolation (default: `.env` in the project directory)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand down" -l profile -d 'Enable services of this profile (repeatable; `*` enables all)' -r
complete -c msctl -n "__fish_msctl_using_subcommand down" -l format -d 'Output format of commands that print data' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c msctl -n "__fish_msctl_using_subcommand down" -l target -d 'Where the project runs: `local` (this engine\'s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)' -r -f -a "local\t''
swarm\t''"
complete -c msctl -n "__fish_msctl_using_subcommand down" -l volumes -d 'Also remove the project\'s named volumes (data is lost); `-v` after `down` too'
complete -c msctl -n "__fish_msctl_using_subcommand down" -l remove-orphans -d 'Also remove containers of services no longer in the manifest'
complete -c msctl -n "__fish_msctl_using_subcommand down" -s q -l quiet -d 'Print only errors on stderr'
complete -c msctl -n "__fish_msctl_using_subcommand down" -s v -l verbose -d 'More detail on stderr (-v info, -vv debug, -vvv trace)'
complete -c msctl -n "__fish_msctl_using_subcommand down" -l no-color -d 'Never colour output (also: NO_COLOR, CI=true)'
complete -c msctl -n "__fish_msctl_using_subcommand down" -s h -l help -d 'Print help'
complete -c msctl -n "__fish_msctl_using_subcommand down" -s V -l version -d 'Print version'
complete -c msctl -n "__fish_msctl_using_subcommand ps" -s f -l file -d 'Manifest file (repeatable; later files override earlier ones)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand ps" -s p -l project-name -l project -d 'Project name (default: `name:` in the manifest, else the directory name)' -r
complete -c msctl -n "__fish_msctl_using_subcommand ps" -l project-directory -d 'Directory relative paths are resolved against (default: the first manifest\'s)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand ps" -l env-file -d 'Env file for interpolation (default: `.env` in the project directory)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand ps" -l profile -d 'Enable services of this profile (repeatable; `*` enables all)' -r
complete -c msctl -n "__fish_msctl_using_subcommand ps" -l format -d 'Output format of commands that print data' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c msctl -n "__fish_msctl_using_subcommand ps" -l target -d 'Where the project runs: `local` (this engine\'s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)' -r -f -a "local\t''
swarm\t''"
complete -c msctl -n "__fish_msctl_using_subcommand ps" -s a -l all -d 'Also show stopped replicas'
complete -c msctl -n "__fish_msctl_using_subcommand ps" -l ids -d 'Only print container ids (also: the global `-q`, as in Compose)'
complete -c msctl -n "__fish_msctl_using_subcommand ps" -s q -l quiet -d 'Print only errors on stderr'
complete -c msctl -n "__fish_msctl_using_subcommand ps" -s v -l verbose -d 'More detail on stderr (-v info, -vv debug, -vvv trace)'
complete -c msctl -n "__fish_msctl_using_subcommand ps" -l no-color -d 'Never colour output (also: NO_COLOR, CI=true)'
complete -c msctl -n "__fish_msctl_using_subcommand ps" -s h -l help -d 'Print help'
complete -c msctl -n "__fish_msctl_using_subcommand ps" -s V -l version -d 'Print version'
complete -c msctl -n "__fish_msctl_using_subcommand scale" -l timeout -d 'Longest wait for new replicas to be ready, in seconds' -r
complete -c msctl -n "__fish_msctl_using_subcommand scale" -s f -l file -d 'Manifest file (repeatable; later files override earlier ones)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand scale" -s p -l project-name -l project -d 'Project name (default: `name:` in the manifest, else the directory name)' -r
complete -c msctl -n "__fish_msctl_using_subcommand scale" -l project-directory -d 'Directory relative paths are resolved against (default: the first manifest\'s)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand scale" -l env-file -d 'Env file for interpolation (default: `.env` in the project directory)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand scale" -l profile -d 'Enable services of this profile (repeatable; `*` enables all)' -r
complete -c msctl -n "__fish_msctl_using_subcommand scale" -l format -d 'Output format of commands that print data' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c msctl -n "__fish_msctl_using_subcommand scale" -l target -d 'Where the project runs: `local` (this engine\'s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)' -r -f -a "local\t''
swarm\t''"
complete -c msctl -n "__fish_msctl_using_subcommand scale" -l no-wait -d 'Return once replicas are started, without waiting for them to be ready'
complete -c msctl -n "__fish_msctl_using_subcommand scale" -s q -l quiet -d 'Print only errors on stderr'
complete -c msctl -n "__fish_msctl_using_subcommand scale" -s v -l verbose -d 'More detail on stderr (-v info, -vv debug, -vvv trace)'
complete -c msctl -n "__fish_msctl_using_subcommand scale" -l no-color -d 'Never colour output (also: NO_COLOR, CI=true)'
complete -c msctl -n "__fish_msctl_using_subcommand scale" -s h -l help -d 'Print help'
complete -c msctl -n "__fish_msctl_using_subcommand scale" -s V -l version -d 'Print version'
complete -c msctl -n "__fish_msctl_using_subcommand logs" -l tail -d 'Lines to show from the end of each replica\'s log' -r
complete -c msctl -n "__fish_msctl_using_subcommand logs" -l since -d 'Only lines since this time (RFC 3339, or a duration like 10m ago)' -r
complete -c msctl -n "__fish_msctl_using_subcommand logs" -l until -d 'Only lines before this time (RFC 3339, or a duration like 10m ago)' -r
complete -c msctl -n "__fish_msctl_using_subcommand logs" -s f -l file -d 'Manifest file (repeatable; later files override earlier ones)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand logs" -s p -l project-name -l project -d 'Project name (default: `name:` in the manifest, else the directory name)' -r
complete -c msctl -n "__fish_msctl_using_subcommand logs" -l project-directory -d 'Directory relative paths are resolved against (default: the first manifest\'s)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand logs" -l env-file -d 'Env file for interpolation (default: `.env` in the project directory)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand logs" -l profile -d 'Enable services of this profile (repeatable; `*` enables all)' -r
complete -c msctl -n "__fish_msctl_using_subcommand logs" -l format -d 'Output format of commands that print data' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c msctl -n "__fish_msctl_using_subcommand logs" -l target -d 'Where the project runs: `local` (this engine\'s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)' -r -f -a "local\t''
swarm\t''"
complete -c msctl -n "__fish_msctl_using_subcommand logs" -l follow -d 'Follow new lines, and replicas that start later (`-f` after `logs`)'
complete -c msctl -n "__fish_msctl_using_subcommand logs" -s t -l timestamps -d 'Show timestamps'
complete -c msctl -n "__fish_msctl_using_subcommand logs" -l no-prefix -d 'Do not prefix lines with `service-n |`'
complete -c msctl -n "__fish_msctl_using_subcommand logs" -s q -l quiet -d 'Print only errors on stderr'
complete -c msctl -n "__fish_msctl_using_subcommand logs" -s v -l verbose -d 'More detail on stderr (-v info, -vv debug, -vvv trace)'
complete -c msctl -n "__fish_msctl_using_subcommand logs" -l no-color -d 'Never colour output (also: NO_COLOR, CI=true)'
complete -c msctl -n "__fish_msctl_using_subcommand logs" -s h -l help -d 'Print help'
complete -c msctl -n "__fish_msctl_using_subcommand logs" -s V -l version -d 'Print version'
complete -c msctl -n "__fish_msctl_using_subcommand build" -l pull -d 'Base images of Dockerfiles: `missing` pulls one the engine lacks, `never` fails' -r -f -a "missing\t''
never\t''"
complete -c msctl -n "__fish_msctl_using_subcommand build" -s f -l file -d 'Manifest file (repeatable; later files override earlier ones)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand build" -s p -l project-name -l project -d 'Project name (default: `name:` in the manifest, else the directory name)' -r
complete -c msctl -n "__fish_msctl_using_subcommand build" -l project-directory -d 'Directory relative paths are resolved against (default: the first manifest\'s)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand build" -l env-file -d 'Env file for interpolation (default: `.env` in the project directory)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand build" -l profile -d 'Enable services of this profile (repeatable; `*` enables all)' -r
complete -c msctl -n "__fish_msctl_using_subcommand build" -l format -d 'Output format of commands that print data' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c msctl -n "__fish_msctl_using_subcommand build" -l target -d 'Where the project runs: `local` (this engine\'s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)' -r -f -a "local\t''
swarm\t''"
complete -c msctl -n "__fish_msctl_using_subcommand build" -l no-cache -d 'Build without the engine\'s layer cache'
complete -c msctl -n "__fish_msctl_using_subcommand build" -s q -l quiet -d 'Print only errors on stderr'
complete -c msctl -n "__fish_msctl_using_subcommand build" -s v -l verbose -d 'More detail on stderr (-v info, -vv debug, -vvv trace)'
complete -c msctl -n "__fish_msctl_using_subcommand build" -l no-color -d 'Never colour output (also: NO_COLOR, CI=true)'
complete -c msctl -n "__fish_msctl_using_subcommand build" -s h -l help -d 'Print help'
complete -c msctl -n "__fish_msctl_using_subcommand build" -s V -l version -d 'Print version'
complete -c msctl -n "__fish_msctl_using_subcommand pull" -l policy -d '`always` pulls every image, `missing` only those the engine lacks' -r -f -a "always\t''
missing\t''"
complete -c msctl -n "__fish_msctl_using_subcommand pull" -s f -l file -d 'Manifest file (repeatable; later files override earlier ones)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand pull" -s p -l project-name -l project -d 'Project name (default: `name:` in the manifest, else the directory name)' -r
complete -c msctl -n "__fish_msctl_using_subcommand pull" -l project-directory -d 'Directory relative paths are resolved against (default: the first manifest\'s)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand pull" -l env-file -d 'Env file for interpolation (default: `.env` in the project directory)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand pull" -l profile -d 'Enable services of this profile (repeatable; `*` enables all)' -r
complete -c msctl -n "__fish_msctl_using_subcommand pull" -l format -d 'Output format of commands that print data' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c msctl -n "__fish_msctl_using_subcommand pull" -l target -d 'Where the project runs: `local` (this engine\'s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)' -r -f -a "local\t''
swarm\t''"
complete -c msctl -n "__fish_msctl_using_subcommand pull" -l include-deps -d 'Also pull the images of the services they depend on'
complete -c msctl -n "__fish_msctl_using_subcommand pull" -l ignore-pull-failures -d 'Warn about images that cannot be pulled instead of failing'
complete -c msctl -n "__fish_msctl_using_subcommand pull" -l ignore-buildable -d 'Leave out services msctl builds'
complete -c msctl -n "__fish_msctl_using_subcommand pull" -s q -l quiet -d 'Print only errors on stderr'
complete -c msctl -n "__fish_msctl_using_subcommand pull" -s v -l verbose -d 'More detail on stderr (-v info, -vv debug, -vvv trace)'
complete -c msctl -n "__fish_msctl_using_subcommand pull" -l no-color -d 'Never colour output (also: NO_COLOR, CI=true)'
complete -c msctl -n "__fish_msctl_using_subcommand pull" -s h -l help -d 'Print help'
complete -c msctl -n "__fish_msctl_using_subcommand pull" -s V -l version -d 'Print version'
complete -c msctl -n "__fish_msctl_using_subcommand push" -s f -l file -d 'Manifest file (repeatable; later files override earlier ones)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand push" -s p -l project-name -l project -d 'Project name (default: `name:` in the manifest, else the directory name)' -r
complete -c msctl -n "__fish_msctl_using_subcommand push" -l project-directory -d 'Directory relative paths are resolved against (default: the first manifest\'s)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand push" -l env-file -d 'Env file for interpolation (default: `.env` in the project directory)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand push" -l profile -d 'Enable services of this profile (repeatable; `*` enables all)' -r
complete -c msctl -n "__fish_msctl_using_subcommand push" -l format -d 'Output format of commands that print data' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c msctl -n "__fish_msctl_using_subcommand push" -l target -d 'Where the project runs: `local` (this engine\'s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)' -r -f -a "local\t''
swarm\t''"
complete -c msctl -n "__fish_msctl_using_subcommand push" -l include-deps -d 'Also push the images of the services they depend on'
complete -c msctl -n "__fish_msctl_using_subcommand push" -l ignore-push-failures -d 'Warn about images that cannot be pushed instead of failing'
complete -c msctl -n "__fish_msctl_using_subcommand push" -s q -l quiet -d 'Print only errors on stderr'
complete -c msctl -n "__fish_msctl_using_subcommand push" -s v -l verbose -d 'More detail on stderr (-v info, -vv debug, -vvv trace)'
complete -c msctl -n "__fish_msctl_using_subcommand push" -l no-color -d 'Never colour output (also: NO_COLOR, CI=true)'
complete -c msctl -n "__fish_msctl_using_subcommand push" -s h -l help -d 'Print help'
complete -c msctl -n "__fish_msctl_using_subcommand push" -s V -l version -d 'Print version'
complete -c msctl -n "__fish_msctl_using_subcommand restart" -s t -l timeout -d 'Seconds to wait for each replica to stop before killing it' -r
complete -c msctl -n "__fish_msctl_using_subcommand restart" -l ready-timeout -d 'Longest wait for each restarted replica to be ready, in seconds' -r
complete -c msctl -n "__fish_msctl_using_subcommand restart" -s f -l file -d 'Manifest file (repeatable; later files override earlier ones)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand restart" -s p -l project-name -l project -d 'Project name (default: `name:` in the manifest, else the directory name)' -r
complete -c msctl -n "__fish_msctl_using_subcommand restart" -l project-directory -d 'Directory relative paths are resolved against (default: the first manifest\'s)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand restart" -l env-file -d 'Env file for interpolation (default: `.env` in the project directory)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand restart" -l profile -d 'Enable services of this profile (repeatable; `*` enables all)' -r
complete -c msctl -n "__fish_msctl_using_subcommand restart" -l format -d 'Output format of commands that print data' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c msctl -n "__fish_msctl_using_subcommand restart" -l target -d 'Where the project runs: `local` (this engine\'s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)' -r -f -a "local\t''
swarm\t''"
complete -c msctl -n "__fish_msctl_using_subcommand restart" -s q -l quiet -d 'Print only errors on stderr'
complete -c msctl -n "__fish_msctl_using_subcommand restart" -s v -l verbose -d 'More detail on stderr (-v info, -vv debug, -vvv trace)'
complete -c msctl -n "__fish_msctl_using_subcommand restart" -l no-color -d 'Never colour output (also: NO_COLOR, CI=true)'
complete -c msctl -n "__fish_msctl_using_subcommand restart" -s h -l help -d 'Print help'
complete -c msctl -n "__fish_msctl_using_subcommand restart" -s V -l version -d 'Print version'
complete -c msctl -n "__fish_msctl_using_subcommand rollback" -l timeout -d 'Longest wait for the rolled-back replicas to be ready, in seconds' -r
complete -c msctl -n "__fish_msctl_using_subcommand rollback" -s f -l file -d 'Manifest file (repeatable; later files override earlier ones)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand rollback" -s p -l project-name -l project -d 'Project name (default: `name:` in the manifest, else the directory name)' -r
complete -c msctl -n "__fish_msctl_using_subcommand rollback" -l project-directory -d 'Directory relative paths are resolved against (default: the first manifest\'s)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand rollback" -l env-file -d 'Env file for interpolation (default: `.env` in the project directory)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand rollback" -l profile -d 'Enable services of this profile (repeatable; `*` enables all)' -r
complete -c msctl -n "__fish_msctl_using_subcommand rollback" -l format -d 'Output format of commands that print data' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c msctl -n "__fish_msctl_using_subcommand rollback" -l target -d 'Where the project runs: `local` (this engine\'s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)' -r -f -a "local\t''
swarm\t''"
complete -c msctl -n "__fish_msctl_using_subcommand rollback" -s q -l quiet -d 'Print only errors on stderr'
complete -c msctl -n "__fish_msctl_using_subcommand rollback" -s v -l verbose -d 'More detail on stderr (-v info, -vv debug, -vvv trace)'
complete -c msctl -n "__fish_msctl_using_subcommand rollback" -l no-color -d 'Never colour output (also: NO_COLOR, CI=true)'
complete -c msctl -n "__fish_msctl_using_subcommand rollback" -s h -l help -d 'Print help'
complete -c msctl -n "__fish_msctl_using_subcommand rollback" -s V -l version -d 'Print version'
complete -c msctl -n "__fish_msctl_using_subcommand history" -s f -l file -d 'Manifest file (repeatable; later files override earlier ones)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand history" -s p -l project-name -l project -d 'Project name (default: `name:` in the manifest, else the directory name)' -r
complete -c msctl -n "__fish_msctl_using_subcommand history" -l project-directory -d 'Directory relative paths are resolved against (default: the first manifest\'s)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand history" -l env-file -d 'Env file for interpolation (default: `.env` in the project directory)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand history" -l profile -d 'Enable services of this profile (repeatable; `*` enables all)' -r
complete -c msctl -n "__fish_msctl_using_subcommand history" -l format -d 'Output format of commands that print data' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c msctl -n "__fish_msctl_using_subcommand history" -l target -d 'Where the project runs: `local` (this engine\'s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)' -r -f -a "local\t''
swarm\t''"
complete -c msctl -n "__fish_msctl_using_subcommand history" -s q -l quiet -d 'Print only errors on stderr'
complete -c msctl -n "__fish_msctl_using_subcommand history" -s v -l verbose -d 'More detail on stderr (-v info, -vv debug, -vvv trace)'
complete -c msctl -n "__fish_msctl_using_subcommand history" -l no-color -d 'Never colour output (also: NO_COLOR, CI=true)'
complete -c msctl -n "__fish_msctl_using_subcommand history" -s h -l help -d 'Print help'
complete -c msctl -n "__fish_msctl_using_subcommand history" -s V -l version -d 'Print version'
complete -c msctl -n "__fish_msctl_using_subcommand exec" -l index -d 'Replica number (default: the first ready replica)' -r
complete -c msctl -n "__fish_msctl_using_subcommand exec" -s e -l env -d 'Environment variables for the command' -r
complete -c msctl -n "__fish_msctl_using_subcommand exec" -s u -l user -d 'Run as this user' -r
complete -c msctl -n "__fish_msctl_using_subcommand exec" -s w -l workdir -d 'Working directory inside the container' -r
complete -c msctl -n "__fish_msctl_using_subcommand exec" -s f -l file -d 'Manifest file (repeatable; later files override earlier ones)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand exec" -s p -l project-name -l project -d 'Project name (default: `name:` in the manifest, else the directory name)' -r
complete -c msctl -n "__fish_msctl_using_subcommand exec" -l project-directory -d 'Directory relative paths are resolved against (default: the first manifest\'s)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand exec" -l env-file -d 'Env file for interpolation (default: `.env` in the project directory)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand exec" -l profile -d 'Enable services of this profile (repeatable; `*` enables all)' -r
complete -c msctl -n "__fish_msctl_using_subcommand exec" -l format -d 'Output format of commands that print data' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c msctl -n "__fish_msctl_using_subcommand exec" -l target -d 'Where the project runs: `local` (this engine\'s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)' -r -f -a "local\t''
swarm\t''"
complete -c msctl -n "__fish_msctl_using_subcommand exec" -s T -l no-tty -d 'Do not allocate a TTY, even when stdin is one'
complete -c msctl -n "__fish_msctl_using_subcommand exec" -s d -l detach -d 'Start the command in the background and return at once'
complete -c msctl -n "__fish_msctl_using_subcommand exec" -l privileged -d 'Give the command extended privileges'
complete -c msctl -n "__fish_msctl_using_subcommand exec" -s q -l quiet -d 'Print only errors on stderr'
complete -c msctl -n "__fish_msctl_using_subcommand exec" -s v -l verbose -d 'More detail on stderr (-v info, -vv debug, -vvv trace)'
complete -c msctl -n "__fish_msctl_using_subcommand exec" -l no-color -d 'Never colour output (also: NO_COLOR, CI=true)'
complete -c msctl -n "__fish_msctl_using_subcommand exec" -s h -l help -d 'Print help'
complete -c msctl -n "__fish_msctl_using_subcommand exec" -s V -l version -d 'Print version'
complete -c msctl -n "__fish_msctl_using_subcommand run" -l name -d 'Name the container (default: PROJECT-SERVICE-run-ID)' -r
complete -c msctl -n "__fish_msctl_using_subcommand run" -s e -l env -d 'Environment variables for the command (`KEY` alone takes msctl\'s value)' -r
complete -c msctl -n "__fish_msctl_using_subcommand run" -l env-from-file -d 'Environment variables from a file of KEY=VALUE lines (repeatable)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand run" -s l -l label -d 'Labels for the container' -r
complete -c msctl -n "__fish_msctl_using_subcommand run" -l volume -d 'Mount a volume or host path, `[SOURCE:]TARGET[:ro]` (`-v` after `run`)' -r
complete -c msctl -n "__fish_msctl_using_subcommand run" -l publish -d 'Publish a port, `[[IP:]HOST:]CONTAINER[/PROTOCOL]` (`-p` after `run`)' -r
complete -c msctl -n "__fish_msctl_using_subcommand run" -s i -l interactive -d 'Keep standard input attached (`--interactive=false` detaches it)' -r -f -a "true\t''
false\t''"
complete -c msctl -n "__fish_msctl_using_subcommand run" -l entrypoint -d 'Override the image\'s entrypoint (a command line, split as a shell would)' -r
complete -c msctl -n "__fish_msctl_using_subcommand run" -s u -l user -d 'Run as this user' -r
complete -c msctl -n "__fish_msctl_using_subcommand run" -s w -l workdir -d 'Working directory inside the container' -r
complete -c msctl -n "__fish_msctl_using_subcommand run" -l cap-add -d 'Add Linux capabilities' -r
complete -c msctl -n "__fish_msctl_using_subcommand run" -l cap-drop -d 'Drop Linux capabilities' -r
complete -c msctl -n "__fish_msctl_using_subcommand run" -l pull -d 'Pull images first: `always`, `missing`, `never` [default: each service\'s `pull_policy`]' -r -f -a "always\t''
missing\t''
never\t''"
complete -c msctl -n "__fish_msctl_using_subcommand run" -l timeout -d 'Longest wait for the dependencies to be ready, in seconds' -r
complete -c msctl -n "__fish_msctl_using_subcommand run" -s f -l file -d 'Manifest file (repeatable; later files override earlier ones)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand run" -s p -l project-name -l project -d 'Project name (default: `name:` in the manifest, else the directory name)' -r
complete -c msctl -n "__fish_msctl_using_subcommand run" -l project-directory -d 'Directory relative paths are resolved against (default: the first manifest\'s)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand run" -l env-file -d 'Env file for interpolation (default: `.env` in the project directory)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand run" -l profile -d 'Enable services of this profile (repeatable; `*` enables all)' -r
complete -c msctl -n "__fish_msctl_using_subcommand run" -l format -d 'Output format of commands that print data' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c msctl -n "__fish_msctl_using_subcommand run" -l target -d 'Where the project runs: `local` (this engine\'s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)' -r -f -a "local\t''
swarm\t''"
complete -c msctl -n "__fish_msctl_using_subcommand run" -l rm -d 'Remove the container when the command ends'
complete -c msctl -n "__fish_msctl_using_subcommand run" -s d -l detach -d 'Start the container and print its name, without waiting for the command'
complete -c msctl -n "__fish_msctl_using_subcommand run" -s P -l service-ports -d 'Publish the ports the service declares'
complete -c msctl -n "__fish_msctl_using_subcommand run" -l use-aliases -d 'Give the container the service\'s names on its networks'
complete -c msctl -n "__fish_msctl_using_subcommand run" -l no-deps -d 'Do not start the services it depends on'
complete -c msctl -n "__fish_msctl_using_subcommand run" -s T -l no-tty -d 'Do not allocate a TTY, even when stdin is one'
complete -c msctl -n "__fish_msctl_using_subcommand run" -l build -d 'Build the image first, even when it is up to date'
complete -c msctl -n "__fish_msctl_using_subcommand run" -l remove-orphans -d 'Also remove containers of services no longer in the manifest (when starting the dependencies)'
complete -c msctl -n "__fish_msctl_using_subcommand run" -s q -l quiet -d 'Print only errors on stderr'
complete -c msctl -n "__fish_msctl_using_subcommand run" -s v -l verbose -d 'More detail on stderr (-v info, -vv debug, -vvv trace)'
complete -c msctl -n "__fish_msctl_using_subcommand run" -l no-color -d 'Never colour output (also: NO_COLOR, CI=true)'
complete -c msctl -n "__fish_msctl_using_subcommand run" -s h -l help -d 'Print help'
complete -c msctl -n "__fish_msctl_using_subcommand run" -s V -l version -d 'Print version'
complete -c msctl -n "__fish_msctl_using_subcommand rm" -s f -l file -d 'Manifest file (repeatable; later files override earlier ones)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand rm" -s p -l project-name -l project -d 'Project name (default: `name:` in the manifest, else the directory name)' -r
complete -c msctl -n "__fish_msctl_using_subcommand rm" -l project-directory -d 'Directory relative paths are resolved against (default: the first manifest\'s)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand rm" -l env-file -d 'Env file for interpolation (default: `.env` in the project directory)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand rm" -l profile -d 'Enable services of this profile (repeatable; `*` enables all)' -r
complete -c msctl -n "__fish_msctl_using_subcommand rm" -l format -d 'Output format of commands that print data' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c msctl -n "__fish_msctl_using_subcommand rm" -l target -d 'Where the project runs: `local` (this engine\'s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)' -r -f -a "local\t''
swarm\t''"
complete -c msctl -n "__fish_msctl_using_subcommand rm" -l force -d 'Do not ask for confirmation, needed without a terminal (`-f` after `rm`)'
complete -c msctl -n "__fish_msctl_using_subcommand rm" -s s -l stop -d 'Stop the containers first, holding the services stopped as `msctl stop` does'
complete -c msctl -n "__fish_msctl_using_subcommand rm" -l volumes -d 'Also remove the containers\' anonymous volumes (`-v` after `rm`)'
complete -c msctl -n "__fish_msctl_using_subcommand rm" -s q -l quiet -d 'Print only errors on stderr'
complete -c msctl -n "__fish_msctl_using_subcommand rm" -s v -l verbose -d 'More detail on stderr (-v info, -vv debug, -vvv trace)'
complete -c msctl -n "__fish_msctl_using_subcommand rm" -l no-color -d 'Never colour output (also: NO_COLOR, CI=true)'
complete -c msctl -n "__fish_msctl_using_subcommand rm" -s h -l help -d 'Print help'
complete -c msctl -n "__fish_msctl_using_subcommand rm" -s V -l version -d 'Print version'
complete -c msctl -n "__fish_msctl_using_subcommand wait" -s f -l file -d 'Manifest file (repeatable; later files override earlier ones)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand wait" -s p -l project-name -l project -d 'Project name (default: `name:` in the manifest, else the directory name)' -r
complete -c msctl -n "__fish_msctl_using_subcommand wait" -l project-directory -d 'Directory relative paths are resolved against (default: the first manifest\'s)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand wait" -l env-file -d 'Env file for interpolation (default: `.env` in the project directory)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand wait" -l profile -d 'Enable services of this profile (repeatable; `*` enables all)' -r
complete -c msctl -n "__fish_msctl_using_subcommand wait" -l format -d 'Output format of commands that print data' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c msctl -n "__fish_msctl_using_subcommand wait" -l target -d 'Where the project runs: `local` (this engine\'s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)' -r -f -a "local\t''
swarm\t''"
complete -c msctl -n "__fish_msctl_using_subcommand wait" -l down-project -d 'Take the project down (as `msctl down`) when the first container stops'
complete -c msctl -n "__fish_msctl_using_subcommand wait" -s q -l quiet -d 'Print only errors on stderr'
complete -c msctl -n "__fish_msctl_using_subcommand wait" -s v -l verbose -d 'More detail on stderr (-v info, -vv debug, -vvv trace)'
complete -c msctl -n "__fish_msctl_using_subcommand wait" -l no-color -d 'Never colour output (also: NO_COLOR, CI=true)'
complete -c msctl -n "__fish_msctl_using_subcommand wait" -s h -l help -d 'Print help'
complete -c msctl -n "__fish_msctl_using_subcommand wait" -s V -l version -d 'Print version'
complete -c msctl -n "__fish_msctl_using_subcommand create" -l pull -d 'Pull images first: `always`, `missing`, `never` [default: each service\'s `pull_policy`]' -r -f -a "always\t''
missing\t''
never\t''"
complete -c msctl -n "__fish_msctl_using_subcommand create" -s f -l file -d 'Manifest file (repeatable; later files override earlier ones)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand create" -s p -l project-name -l project -d 'Project name (default: `name:` in the manifest, else the directory name)' -r
complete -c msctl -n "__fish_msctl_using_subcommand create" -l project-directory -d 'Directory relative paths are resolved against (default: the first manifest\'s)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand create" -l env-file -d 'Env file for interpolation (default: `.env` in the project directory)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand create" -l profile -d 'Enable services of this profile (repeatable; `*` enables all)' -r
complete -c msctl -n "__fish_msctl_using_subcommand create" -l format -d 'Output format of commands that print data' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c msctl -n "__fish_msctl_using_subcommand create" -l target -d 'Where the project runs: `local` (this engine\'s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)' -r -f -a "local\t''
swarm\t''"
complete -c msctl -n "__fish_msctl_using_subcommand create" -l build -d 'Build images first, even unchanged ones'
complete -c msctl -n "__fish_msctl_using_subcommand create" -l no-build -d 'Do not build images, even missing ones'
complete -c msctl -n "__fish_msctl_using_subcommand create" -s q -l quiet -d 'Print only errors on stderr'
complete -c msctl -n "__fish_msctl_using_subcommand create" -s v -l verbose -d 'More detail on stderr (-v info, -vv debug, -vvv trace)'
complete -c msctl -n "__fish_msctl_using_subcommand create" -l no-color -d 'Never colour output (also: NO_COLOR, CI=true)'
complete -c msctl -n "__fish_msctl_using_subcommand create" -s h -l help -d 'Print help'
complete -c msctl -n "__fish_msctl_using_subcommand create" -s V -l version -d 'Print version'
complete -c msctl -n "__fish_msctl_using_subcommand attach" -l index -d 'Replica number (default: the first running replica)' -r
complete -c msctl -n "__fish_msctl_using_subcommand attach" -l sig-proxy -d 'Pass the signals msctl receives on to the process (`--sig-proxy=false` does not)' -r -f -a "true\t''
false\t''"
complete -c msctl -n "__fish_msctl_using_subcommand attach" -l detach-keys -d 'Keys that detach and leave the process running (default: ctrl-p,ctrl-q)' -r
complete -c msctl -n "__fish_msctl_using_subcommand attach" -s f -l file -d 'Manifest file (repeatable; later files override earlier ones)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand attach" -s p -l project-name -l project -d 'Project name (default: `name:` in the manifest, else the directory name)' -r
complete -c msctl -n "__fish_msctl_using_subcommand attach" -l project-directory -d 'Directory relative paths are resolved against (default: the first manifest\'s)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand attach" -l env-file -d 'Env file for interpolation (default: `.env` in the project directory)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand attach" -l profile -d 'Enable services of this profile (repeatable; `*` enables all)' -r
complete -c msctl -n "__fish_msctl_using_subcommand attach" -l format -d 'Output format of commands that print data' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c msctl -n "__fish_msctl_using_subcommand attach" -l target -d 'Where the project runs: `local` (this engine\'s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)' -r -f -a "local\t''
swarm\t''"
complete -c msctl -n "__fish_msctl_using_subcommand attach" -l no-stdin -d 'Do not attach standard input'
complete -c msctl -n "__fish_msctl_using_subcommand attach" -s q -l quiet -d 'Print only errors on stderr'
complete -c msctl -n "__fish_msctl_using_subcommand attach" -s v -l verbose -d 'More detail on stderr (-v info, -vv debug, -vvv trace)'
complete -c msctl -n "__fish_msctl_using_subcommand attach" -l no-color -d 'Never colour output (also: NO_COLOR, CI=true)'
complete -c msctl -n "__fish_msctl_using_subcommand attach" -s h -l help -d 'Print help'
complete -c msctl -n "__fish_msctl_using_subcommand attach" -s V -l version -d 'Print version'
complete -c msctl -n "__fish_msctl_using_subcommand cp" -l index -d 'Replica number (default: from the first replica; to every replica)' -r
complete -c msctl -n "__fish_msctl_using_subcommand cp" -s f -l file -d 'Manifest file (repeatable; later files override earlier ones)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand cp" -s p -l project-name -l project -d 'Project name (default: `name:` in the manifest, else the directory name)' -r
complete -c msctl -n "__fish_msctl_using_subcommand cp" -l project-directory -d 'Directory relative paths are resolved against (default: the first manifest\'s)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand cp" -l env-file -d 'Env file for interpolation (default: `.env` in the project directory)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand cp" -l profile -d 'Enable services of this profile (repeatable; `*` enables all)' -r
complete -c msctl -n "__fish_msctl_using_subcommand cp" -l format -d 'Output format of commands that print data' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c msctl -n "__fish_msctl_using_subcommand cp" -l target -d 'Where the project runs: `local` (this engine\'s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)' -r -f -a "local\t''
swarm\t''"
complete -c msctl -n "__fish_msctl_using_subcommand cp" -s a -l archive -d 'Keep the files\' owners (uid and gid)'
complete -c msctl -n "__fish_msctl_using_subcommand cp" -s L -l follow-link -d 'Follow a symbolic link given as the source'
complete -c msctl -n "__fish_msctl_using_subcommand cp" -s q -l quiet -d 'Print only errors on stderr'
complete -c msctl -n "__fish_msctl_using_subcommand cp" -s v -l verbose -d 'More detail on stderr (-v info, -vv debug, -vvv trace)'
complete -c msctl -n "__fish_msctl_using_subcommand cp" -l no-color -d 'Never colour output (also: NO_COLOR, CI=true)'
complete -c msctl -n "__fish_msctl_using_subcommand cp" -s h -l help -d 'Print help'
complete -c msctl -n "__fish_msctl_using_subcommand cp" -s V -l version -d 'Print version'
complete -c msctl -n "__fish_msctl_using_subcommand stats" -s f -l file -d 'Manifest file (repeatable; later files override earlier ones)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand stats" -s p -l project-name -l project -d 'Project name (default: `name:` in the manifest, else the directory name)' -r
complete -c msctl -n "__fish_msctl_using_subcommand stats" -l project-directory -d 'Directory relative paths are resolved against (default: the first manifest\'s)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand stats" -l env-file -d 'Env file for interpolation (default: `.env` in the project directory)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand stats" -l profile -d 'Enable services of this profile (repeatable; `*` enables all)' -r
complete -c msctl -n "__fish_msctl_using_subcommand stats" -l format -d 'Output format of commands that print data' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c msctl -n "__fish_msctl_using_subcommand stats" -l target -d 'Where the project runs: `local` (this engine\'s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)' -r -f -a "local\t''
swarm\t''"
complete -c msctl -n "__fish_msctl_using_subcommand stats" -s a -l all -d 'Also list stopped replicas (with no figures)'
complete -c msctl -n "__fish_msctl_using_subcommand stats" -l no-stream -d 'Print one sample and exit (the default without a terminal is a sample a second)'
complete -c msctl -n "__fish_msctl_using_subcommand stats" -s q -l quiet -d 'Print only errors on stderr'
complete -c msctl -n "__fish_msctl_using_subcommand stats" -s v -l verbose -d 'More detail on stderr (-v info, -vv debug, -vvv trace)'
complete -c msctl -n "__fish_msctl_using_subcommand stats" -l no-color -d 'Never colour output (also: NO_COLOR, CI=true)'
complete -c msctl -n "__fish_msctl_using_subcommand stats" -s h -l help -d 'Print help'
complete -c msctl -n "__fish_msctl_using_subcommand stats" -s V -l version -d 'Print version'
complete -c msctl -n "__fish_msctl_using_subcommand events" -s n -l tail -d 'Only the last N events before following' -r
complete -c msctl -n "__fish_msctl_using_subcommand events" -s f -l file -d 'Manifest file (repeatable; later files override earlier ones)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand events" -s p -l project-name -l project -d 'Project name (default: `name:` in the manifest, else the directory name)' -r
complete -c msctl -n "__fish_msctl_using_subcommand events" -l project-directory -d 'Directory relative paths are resolved against (default: the first manifest\'s)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand events" -l env-file -d 'Env file for interpolation (default: `.env` in the project directory)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand events" -l profile -d 'Enable services of this profile (repeatable; `*` enables all)' -r
complete -c msctl -n "__fish_msctl_using_subcommand events" -l format -d 'Output format of commands that print data' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c msctl -n "__fish_msctl_using_subcommand events" -l target -d 'Where the project runs: `local` (this engine\'s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)' -r -f -a "local\t''
swarm\t''"
complete -c msctl -n "__fish_msctl_using_subcommand events" -l follow -d 'Keep printing new events as they happen (`-f` after `events`)'
complete -c msctl -n "__fish_msctl_using_subcommand events" -s q -l quiet -d 'Print only errors on stderr'
complete -c msctl -n "__fish_msctl_using_subcommand events" -s v -l verbose -d 'More detail on stderr (-v info, -vv debug, -vvv trace)'
complete -c msctl -n "__fish_msctl_using_subcommand events" -l no-color -d 'Never colour output (also: NO_COLOR, CI=true)'
complete -c msctl -n "__fish_msctl_using_subcommand events" -s h -l help -d 'Print help'
complete -c msctl -n "__fish_msctl_using_subcommand events" -s V -l version -d 'Print version'
complete -c msctl -n "__fish_msctl_using_subcommand serve" -l listen -d 'Address of the HTTP API [default: 127.0.0.1:7311, or a free port when that one is taken; the address is written to `api-addr` in the state directory]' -r
complete -c msctl -n "__fish_msctl_using_subcommand serve" -l resync -d 'Seconds between two rounds of a project when no event comes' -r
complete -c msctl -n "__fish_msctl_using_subcommand serve" -l backoff-initial -d 'Seconds a service is held back after its first failure (doubled after each next)' -r
complete -c msctl -n "__fish_msctl_using_subcommand serve" -l backoff-max -d 'Longest a failing service is held back, in seconds' -r
complete -c msctl -n "__fish_msctl_using_subcommand serve" -l autoscale-interval -d 'Seconds between two CPU measurements of an autoscaled service\'s replicas' -r
complete -c msctl -n "__fish_msctl_using_subcommand serve" -l readiness-interval -d 'Seconds between two readiness checks of a project\'s replicas, which decide which of them its service names and its ingress ports lead to' -r
complete -c msctl -n "__fish_msctl_using_subcommand serve" -l install-service -d 'Write a systemd unit that runs this control plane (restarted whenever it dies) to FILE, then exit' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand serve" -s f -l file -d 'Manifest file (repeatable; later files override earlier ones)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand serve" -s p -l project-name -l project -d 'Project name (default: `name:` in the manifest, else the directory name)' -r
complete -c msctl -n "__fish_msctl_using_subcommand serve" -l project-directory -d 'Directory relative paths are resolved against (default: the first manifest\'s)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand serve" -l env-file -d 'Env file for interpolation (default: `.env` in the project directory)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand serve" -l profile -d 'Enable services of this profile (repeatable; `*` enables all)' -r
complete -c msctl -n "__fish_msctl_using_subcommand serve" -l format -d 'Output format of commands that print data' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c msctl -n "__fish_msctl_using_subcommand serve" -l target -d 'Where the project runs: `local` (this engine\'s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)' -r -f -a "local\t''
swarm\t''"
complete -c msctl -n "__fish_msctl_using_subcommand serve" -l background -d 'Started by `msctl up`: detach from the terminal, stop when no project needs it; without `--supervised`, supervise the control plane (start it again when it dies)'
complete -c msctl -n "__fish_msctl_using_subcommand serve" -l supervised -d 'The control plane a supervisor runs (with `--background`)'
complete -c msctl -n "__fish_msctl_using_subcommand serve" -s q -l quiet -d 'Print only errors on stderr'
complete -c msctl -n "__fish_msctl_using_subcommand serve" -s v -l verbose -d 'More detail on stderr (-v info, -vv debug, -vvv trace)'
complete -c msctl -n "__fish_msctl_using_subcommand serve" -l no-color -d 'Never colour output (also: NO_COLOR, CI=true)'
complete -c msctl -n "__fish_msctl_using_subcommand serve" -s h -l help -d 'Print help'
complete -c msctl -n "__fish_msctl_using_subcommand serve" -s V -l version -d 'Print version'
complete -c msctl -n "__fish_msctl_using_subcommand resolver" -l listen -d 'Address of its HTTP API, through which msctl says which replicas serve' -r
complete -c msctl -n "__fish_msctl_using_subcommand resolver" -l dns-port -d 'Port it answers DNS on, on each gateway it serves' -r
complete -c msctl -n "__fish_msctl_using_subcommand resolver" -l token -d 'The bearer token of its API' -r
complete -c msctl -n "__fish_msctl_using_subcommand resolver" -s f -l file -d 'Manifest file (repeatable; later files override earlier ones)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand resolver" -s p -l project-name -l project -d 'Project name (default: `name:` in the manifest, else the directory name)' -r
complete -c msctl -n "__fish_msctl_using_subcommand resolver" -l project-directory -d 'Directory relative paths are resolved against (default: the first manifest\'s)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand resolver" -l env-file -d 'Env file for interpolation (default: `.env` in the project directory)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand resolver" -l profile -d 'Enable services of this profile (repeatable; `*` enables all)' -r
complete -c msctl -n "__fish_msctl_using_subcommand resolver" -l format -d 'Output format of commands that print data' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c msctl -n "__fish_msctl_using_subcommand resolver" -l target -d 'Where the project runs: `local` (this engine\'s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)' -r -f -a "local\t''
swarm\t''"
complete -c msctl -n "__fish_msctl_using_subcommand resolver" -s q -l quiet -d 'Print only errors on stderr'
complete -c msctl -n "__fish_msctl_using_subcommand resolver" -s v -l verbose -d 'More detail on stderr (-v info, -vv debug, -vvv trace)'
complete -c msctl -n "__fish_msctl_using_subcommand resolver" -l no-color -d 'Never colour output (also: NO_COLOR, CI=true)'
complete -c msctl -n "__fish_msctl_using_subcommand resolver" -s h -l help -d 'Print help'
complete -c msctl -n "__fish_msctl_using_subcommand resolver" -s V -l version -d 'Print version'
complete -c msctl -n "__fish_msctl_using_subcommand export" -s o -l output -d 'Write one file per object into this directory (created; must be empty) instead of one YAML stream on stdout' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand export" -s f -l file -d 'Manifest file (repeatable; later files override earlier ones)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand export" -s p -l project-name -l project -d 'Project name (default: `name:` in the manifest, else the directory name)' -r
complete -c msctl -n "__fish_msctl_using_subcommand export" -l project-directory -d 'Directory relative paths are resolved against (default: the first manifest\'s)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand export" -l env-file -d 'Env file for interpolation (default: `.env` in the project directory)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand export" -l profile -d 'Enable services of this profile (repeatable; `*` enables all)' -r
complete -c msctl -n "__fish_msctl_using_subcommand export" -l format -d 'Output format of commands that print data' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c msctl -n "__fish_msctl_using_subcommand export" -l target -d 'Where the project runs: `local` (this engine\'s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)' -r -f -a "local\t''
swarm\t''"
complete -c msctl -n "__fish_msctl_using_subcommand export" -s q -l quiet -d 'Print only errors on stderr'
complete -c msctl -n "__fish_msctl_using_subcommand export" -s v -l verbose -d 'More detail on stderr (-v info, -vv debug, -vvv trace)'
complete -c msctl -n "__fish_msctl_using_subcommand export" -l no-color -d 'Never colour output (also: NO_COLOR, CI=true)'
complete -c msctl -n "__fish_msctl_using_subcommand export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c msctl -n "__fish_msctl_using_subcommand export" -s V -l version -d 'Print version'
complete -c msctl -n "__fish_msctl_using_subcommand completions" -s f -l file -d 'Manifest file (repeatable; later files override earlier ones)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand completions" -s p -l project-name -l project -d 'Project name (default: `name:` in the manifest, else the directory name)' -r
complete -c msctl -n "__fish_msctl_using_subcommand completions" -l project-directory -d 'Directory relative paths are resolved against (default: the first manifest\'s)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand completions" -l env-file -d 'Env file for interpolation (default: `.env` in the project directory)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand completions" -l profile -d 'Enable services of this profile (repeatable; `*` enables all)' -r
complete -c msctl -n "__fish_msctl_using_subcommand completions" -l format -d 'Output format of commands that print data' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c msctl -n "__fish_msctl_using_subcommand completions" -l target -d 'Where the project runs: `local` (this engine\'s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)' -r -f -a "local\t''
swarm\t''"
complete -c msctl -n "__fish_msctl_using_subcommand completions" -s q -l quiet -d 'Print only errors on stderr'
complete -c msctl -n "__fish_msctl_using_subcommand completions" -s v -l verbose -d 'More detail on stderr (-v info, -vv debug, -vvv trace)'
complete -c msctl -n "__fish_msctl_using_subcommand completions" -l no-color -d 'Never colour output (also: NO_COLOR, CI=true)'
complete -c msctl -n "__fish_msctl_using_subcommand completions" -s h -l help -d 'Print help'
complete -c msctl -n "__fish_msctl_using_subcommand completions" -s V -l version -d 'Print version'
complete -c msctl -n "__fish_msctl_using_subcommand version" -s f -l file -d 'Manifest file (repeatable; later files override earlier ones)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand version" -s p -l project-name -l project -d 'Project name (default: `name:` in the manifest, else the directory name)' -r
complete -c msctl -n "__fish_msctl_using_subcommand version" -l project-directory -d 'Directory relative paths are resolved against (default: the first manifest\'s)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand version" -l env-file -d 'Env file for interpolation (default: `.env` in the project directory)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand version" -l profile -d 'Enable services of this profile (repeatable; `*` enables all)' -r
complete -c msctl -n "__fish_msctl_using_subcommand version" -l format -d 'Output format of commands that print data' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c msctl -n "__fish_msctl_using_subcommand version" -l target -d 'Where the project runs: `local` (this engine\'s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)' -r -f -a "local\t''
swarm\t''"
complete -c msctl -n "__fish_msctl_using_subcommand version" -l short -d 'Print msctl\'s version number only'
complete -c msctl -n "__fish_msctl_using_subcommand version" -s q -l quiet -d 'Print only errors on stderr'
complete -c msctl -n "__fish_msctl_using_subcommand version" -s v -l verbose -d 'More detail on stderr (-v info, -vv debug, -vvv trace)'
complete -c msctl -n "__fish_msctl_using_subcommand version" -l no-color -d 'Never colour output (also: NO_COLOR, CI=true)'
complete -c msctl -n "__fish_msctl_using_subcommand version" -s h -l help -d 'Print help'
complete -c msctl -n "__fish_msctl_using_subcommand version" -s V -l version -d 'Print version'
complete -c msctl -n "__fish_msctl_using_subcommand top" -s f -l file -d 'Manifest file (repeatable; later files override earlier ones)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand top" -s p -l project-name -l project -d 'Project name (default: `name:` in the manifest, else the directory name)' -r
complete -c msctl -n "__fish_msctl_using_subcommand top" -l project-directory -d 'Directory relative paths are resolved against (default: the first manifest\'s)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand top" -l env-file -d 'Env file for interpolation (default: `.env` in the project directory)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand top" -l profile -d 'Enable services of this profile (repeatable; `*` enables all)' -r
complete -c msctl -n "__fish_msctl_using_subcommand top" -l format -d 'Output format of commands that print data' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c msctl -n "__fish_msctl_using_subcommand top" -l target -d 'Where the project runs: `local` (this engine\'s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)' -r -f -a "local\t''
swarm\t''"
complete -c msctl -n "__fish_msctl_using_subcommand top" -s q -l quiet -d 'Print only errors on stderr'
complete -c msctl -n "__fish_msctl_using_subcommand top" -s v -l verbose -d 'More detail on stderr (-v info, -vv debug, -vvv trace)'
complete -c msctl -n "__fish_msctl_using_subcommand top" -l no-color -d 'Never colour output (also: NO_COLOR, CI=true)'
complete -c msctl -n "__fish_msctl_using_subcommand top" -s h -l help -d 'Print help'
complete -c msctl -n "__fish_msctl_using_subcommand top" -s V -l version -d 'Print version'
complete -c msctl -n "__fish_msctl_using_subcommand port" -l index -d 'Which replica (default: 1)' -r
complete -c msctl -n "__fish_msctl_using_subcommand port" -l protocol -d 'The port\'s protocol' -r -f -a "tcp\t''
udp\t''
sctp\t''"
complete -c msctl -n "__fish_msctl_using_subcommand port" -s f -l file -d 'Manifest file (repeatable; later files override earlier ones)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand port" -s p -l project-name -l project -d 'Project name (default: `name:` in the manifest, else the directory name)' -r
complete -c msctl -n "__fish_msctl_using_subcommand port" -l project-directory -d 'Directory relative paths are resolved against (default: the first manifest\'s)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand port" -l env-file -d 'Env file for interpolation (default: `.env` in the project directory)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand port" -l profile -d 'Enable services of this profile (repeatable; `*` enables all)' -r
complete -c msctl -n "__fish_msctl_using_subcommand port" -l format -d 'Output format of commands that print data' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c msctl -n "__fish_msctl_using_subcommand port" -l target -d 'Where the project runs: `local` (this engine\'s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)' -r -f -a "local\t''
swarm\t''"
complete -c msctl -n "__fish_msctl_using_subcommand port" -s q -l quiet -d 'Print only errors on stderr'
complete -c msctl -n "__fish_msctl_using_subcommand port" -s v -l verbose -d 'More detail on stderr (-v info, -vv debug, -vvv trace)'
complete -c msctl -n "__fish_msctl_using_subcommand port" -l no-color -d 'Never colour output (also: NO_COLOR, CI=true)'
complete -c msctl -n "__fish_msctl_using_subcommand port" -s h -l help -d 'Print help'
complete -c msctl -n "__fish_msctl_using_subcommand port" -s V -l version -d 'Print version'
complete -c msctl -n "__fish_msctl_using_subcommand images" -s f -l file -d 'Manifest file (repeatable; later files override earlier ones)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand images" -s p -l project-name -l project -d 'Project name (default: `name:` in the manifest, else the directory name)' -r
complete -c msctl -n "__fish_msctl_using_subcommand images" -l project-directory -d 'Directory relative paths are resolved against (default: the first manifest\'s)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand images" -l env-file -d 'Env file for interpolation (default: `.env` in the project directory)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand images" -l profile -d 'Enable services of this profile (repeatable; `*` enables all)' -r
complete -c msctl -n "__fish_msctl_using_subcommand images" -l format -d 'Output format of commands that print data' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c msctl -n "__fish_msctl_using_subcommand images" -l target -d 'Where the project runs: `local` (this engine\'s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)' -r -f -a "local\t''
swarm\t''"
complete -c msctl -n "__fish_msctl_using_subcommand images" -l ids -d 'Only print image ids, each once (also: the global `-q`, as in Compose)'
complete -c msctl -n "__fish_msctl_using_subcommand images" -s q -l quiet -d 'Print only errors on stderr'
complete -c msctl -n "__fish_msctl_using_subcommand images" -s v -l verbose -d 'More detail on stderr (-v info, -vv debug, -vvv trace)'
complete -c msctl -n "__fish_msctl_using_subcommand images" -l no-color -d 'Never colour output (also: NO_COLOR, CI=true)'
complete -c msctl -n "__fish_msctl_using_subcommand images" -s h -l help -d 'Print help'
complete -c msctl -n "__fish_msctl_using_subcommand images" -s V -l version -d 'Print version'
complete -c msctl -n "__fish_msctl_using_subcommand ls" -s f -l file -d 'Manifest file (repeatable; later files override earlier ones)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand ls" -s p -l project-name -l project -d 'Project name (default: `name:` in the manifest, else the directory name)' -r
complete -c msctl -n "__fish_msctl_using_subcommand ls" -l project-directory -d 'Directory relative paths are resolved against (default: the first manifest\'s)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand ls" -l env-file -d 'Env file for interpolation (default: `.env` in the project directory)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand ls" -l profile -d 'Enable services of this profile (repeatable; `*` enables all)' -r
complete -c msctl -n "__fish_msctl_using_subcommand ls" -l format -d 'Output format of commands that print data' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c msctl -n "__fish_msctl_using_subcommand ls" -l target -d 'Where the project runs: `local` (this engine\'s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)' -r -f -a "local\t''
swarm\t''"
complete -c msctl -n "__fish_msctl_using_subcommand ls" -s a -l all -d 'Also list projects whose containers are all stopped'
complete -c msctl -n "__fish_msctl_using_subcommand ls" -s q -l quiet -d 'Print only errors on stderr'
complete -c msctl -n "__fish_msctl_using_subcommand ls" -s v -l verbose -d 'More detail on stderr (-v info, -vv debug, -vvv trace)'
complete -c msctl -n "__fish_msctl_using_subcommand ls" -l no-color -d 'Never colour output (also: NO_COLOR, CI=true)'
complete -c msctl -n "__fish_msctl_using_subcommand ls" -s h -l help -d 'Print help'
complete -c msctl -n "__fish_msctl_using_subcommand ls" -s V -l version -d 'Print version'
complete -c msctl -n "__fish_msctl_using_subcommand stop" -s t -l timeout -d 'Grace period after the stop signal, in seconds (default: each service\'s stop_grace_period, else 10)' -r
complete -c msctl -n "__fish_msctl_using_subcommand stop" -s f -l file -d 'Manifest file (repeatable; later files override earlier ones)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand stop" -s p -l project-name -l project -d 'Project name (default: `name:` in the manifest, else the directory name)' -r
complete -c msctl -n "__fish_msctl_using_subcommand stop" -l project-directory -d 'Directory relative paths are resolved against (default: the first manifest\'s)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand stop" -l env-file -d 'Env file for interpolation (default: `.env` in the project directory)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand stop" -l profile -d 'Enable services of this profile (repeatable; `*` enables all)' -r
complete -c msctl -n "__fish_msctl_using_subcommand stop" -l format -d 'Output format of commands that print data' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c msctl -n "__fish_msctl_using_subcommand stop" -l target -d 'Where the project runs: `local` (this engine\'s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)' -r -f -a "local\t''
swarm\t''"
complete -c msctl -n "__fish_msctl_using_subcommand stop" -s q -l quiet -d 'Print only errors on stderr'
complete -c msctl -n "__fish_msctl_using_subcommand stop" -s v -l verbose -d 'More detail on stderr (-v info, -vv debug, -vvv trace)'
complete -c msctl -n "__fish_msctl_using_subcommand stop" -l no-color -d 'Never colour output (also: NO_COLOR, CI=true)'
complete -c msctl -n "__fish_msctl_using_subcommand stop" -s h -l help -d 'Print help'
complete -c msctl -n "__fish_msctl_using_subcommand stop" -s V -l version -d 'Print version'
complete -c msctl -n "__fish_msctl_using_subcommand start" -l wait-timeout -d 'Longest wait with `--wait`, in seconds' -r
complete -c msctl -n "__fish_msctl_using_subcommand start" -s f -l file -d 'Manifest file (repeatable; later files override earlier ones)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand start" -s p -l project-name -l project -d 'Project name (default: `name:` in the manifest, else the directory name)' -r
complete -c msctl -n "__fish_msctl_using_subcommand start" -l project-directory -d 'Directory relative paths are resolved against (default: the first manifest\'s)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand start" -l env-file -d 'Env file for interpolation (default: `.env` in the project directory)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand start" -l profile -d 'Enable services of this profile (repeatable; `*` enables all)' -r
complete -c msctl -n "__fish_msctl_using_subcommand start" -l format -d 'Output format of commands that print data' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c msctl -n "__fish_msctl_using_subcommand start" -l target -d 'Where the project runs: `local` (this engine\'s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)' -r -f -a "local\t''
swarm\t''"
complete -c msctl -n "__fish_msctl_using_subcommand start" -l wait -d 'Wait until the replicas are ready'
complete -c msctl -n "__fish_msctl_using_subcommand start" -s q -l quiet -d 'Print only errors on stderr'
complete -c msctl -n "__fish_msctl_using_subcommand start" -s v -l verbose -d 'More detail on stderr (-v info, -vv debug, -vvv trace)'
complete -c msctl -n "__fish_msctl_using_subcommand start" -l no-color -d 'Never colour output (also: NO_COLOR, CI=true)'
complete -c msctl -n "__fish_msctl_using_subcommand start" -s h -l help -d 'Print help'
complete -c msctl -n "__fish_msctl_using_subcommand start" -s V -l version -d 'Print version'
complete -c msctl -n "__fish_msctl_using_subcommand kill" -s s -l signal -d 'The signal' -r
complete -c msctl -n "__fish_msctl_using_subcommand kill" -s f -l file -d 'Manifest file (repeatable; later files override earlier ones)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand kill" -s p -l project-name -l project -d 'Project name (default: `name:` in the manifest, else the directory name)' -r
complete -c msctl -n "__fish_msctl_using_subcommand kill" -l project-directory -d 'Directory relative paths are resolved against (default: the first manifest\'s)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand kill" -l env-file -d 'Env file for interpolation (default: `.env` in the project directory)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand kill" -l profile -d 'Enable services of this profile (repeatable; `*` enables all)' -r
complete -c msctl -n "__fish_msctl_using_subcommand kill" -l format -d 'Output format of commands that print data' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c msctl -n "__fish_msctl_using_subcommand kill" -l target -d 'Where the project runs: `local` (this engine\'s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)' -r -f -a "local\t''
swarm\t''"
complete -c msctl -n "__fish_msctl_using_subcommand kill" -s q -l quiet -d 'Print only errors on stderr'
complete -c msctl -n "__fish_msctl_using_subcommand kill" -s v -l verbose -d 'More detail on stderr (-v info, -vv debug, -vvv trace)'
complete -c msctl -n "__fish_msctl_using_subcommand kill" -l no-color -d 'Never colour output (also: NO_COLOR, CI=true)'
complete -c msctl -n "__fish_msctl_using_subcommand kill" -s h -l help -d 'Print help'
complete -c msctl -n "__fish_msctl_using_subcommand kill" -s V -l version -d 'Print version'
complete -c msctl -n "__fish_msctl_using_subcommand pause" -s f -l file -d 'Manifest file (repeatable; later files override earlier ones)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand pause" -s p -l project-name -l project -d 'Project name (default: `name:` in the manifest, else the directory name)' -r
complete -c msctl -n "__fish_msctl_using_subcommand pause" -l project-directory -d 'Directory relative paths are resolved against (default: the first manifest\'s)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand pause" -l env-file -d 'Env file for interpolation (default: `.env` in the project directory)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand pause" -l profile -d 'Enable services of this profile (repeatable; `*` enables all)' -r
complete -c msctl -n "__fish_msctl_using_subcommand pause" -l format -d 'Output format of commands that print data' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c msctl -n "__fish_msctl_using_subcommand pause" -l target -d 'Where the project runs: `local` (this engine\'s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)' -r -f -a "local\t''
swarm\t''"
complete -c msctl -n "__fish_msctl_using_subcommand pause" -s q -l quiet -d 'Print only errors on stderr'
complete -c msctl -n "__fish_msctl_using_subcommand pause" -s v -l verbose -d 'More detail on stderr (-v info, -vv debug, -vvv trace)'
complete -c msctl -n "__fish_msctl_using_subcommand pause" -l no-color -d 'Never colour output (also: NO_COLOR, CI=true)'
complete -c msctl -n "__fish_msctl_using_subcommand pause" -s h -l help -d 'Print help'
complete -c msctl -n "__fish_msctl_using_subcommand pause" -s V -l version -d 'Print version'
complete -c msctl -n "__fish_msctl_using_subcommand unpause" -s f -l file -d 'Manifest file (repeatable; later files override earlier ones)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand unpause" -s p -l project-name -l project -d 'Project name (default: `name:` in the manifest, else the directory name)' -r
complete -c msctl -n "__fish_msctl_using_subcommand unpause" -l project-directory -d 'Directory relative paths are resolved against (default: the first manifest\'s)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand unpause" -l env-file -d 'Env file for interpolation (default: `.env` in the project directory)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand unpause" -l profile -d 'Enable services of this profile (repeatable; `*` enables all)' -r
complete -c msctl -n "__fish_msctl_using_subcommand unpause" -l format -d 'Output format of commands that print data' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c msctl -n "__fish_msctl_using_subcommand unpause" -l target -d 'Where the project runs: `local` (this engine\'s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)' -r -f -a "local\t''
swarm\t''"
complete -c msctl -n "__fish_msctl_using_subcommand unpause" -s q -l quiet -d 'Print only errors on stderr'
complete -c msctl -n "__fish_msctl_using_subcommand unpause" -s v -l verbose -d 'More detail on stderr (-v info, -vv debug, -vvv trace)'
complete -c msctl -n "__fish_msctl_using_subcommand unpause" -l no-color -d 'Never colour output (also: NO_COLOR, CI=true)'
complete -c msctl -n "__fish_msctl_using_subcommand unpause" -s h -l help -d 'Print help'
complete -c msctl -n "__fish_msctl_using_subcommand unpause" -s V -l version -d 'Print version'
complete -c msctl -n "__fish_msctl_using_subcommand watch" -l timeout -d 'Longest wait for new replicas to be ready after a rebuild, in seconds' -r
complete -c msctl -n "__fish_msctl_using_subcommand watch" -s f -l file -d 'Manifest file (repeatable; later files override earlier ones)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand watch" -s p -l project-name -l project -d 'Project name (default: `name:` in the manifest, else the directory name)' -r
complete -c msctl -n "__fish_msctl_using_subcommand watch" -l project-directory -d 'Directory relative paths are resolved against (default: the first manifest\'s)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand watch" -l env-file -d 'Env file for interpolation (default: `.env` in the project directory)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand watch" -l profile -d 'Enable services of this profile (repeatable; `*` enables all)' -r
complete -c msctl -n "__fish_msctl_using_subcommand watch" -l format -d 'Output format of commands that print data' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c msctl -n "__fish_msctl_using_subcommand watch" -l target -d 'Where the project runs: `local` (this engine\'s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)' -r -f -a "local\t''
swarm\t''"
complete -c msctl -n "__fish_msctl_using_subcommand watch" -l no-up -d 'Do not bring the services up first: watch what already runs'
complete -c msctl -n "__fish_msctl_using_subcommand watch" -l no-self-heal -d 'Do not start the control plane when bringing the services up (also: MSCTL_SELF_HEAL=0)'
complete -c msctl -n "__fish_msctl_using_subcommand watch" -s q -l quiet -d 'Print only errors on stderr'
complete -c msctl -n "__fish_msctl_using_subcommand watch" -s v -l verbose -d 'More detail on stderr (-v info, -vv debug, -vvv trace)'
complete -c msctl -n "__fish_msctl_using_subcommand watch" -l no-color -d 'Never colour output (also: NO_COLOR, CI=true)'
complete -c msctl -n "__fish_msctl_using_subcommand watch" -s h -l help -d 'Print help'
complete -c msctl -n "__fish_msctl_using_subcommand watch" -s V -l version -d 'Print version'
complete -c msctl -n "__fish_msctl_using_subcommand help; and not __fish_seen_subcommand_from validate config up plan down ps scale logs build pull push restart rollback history exec run rm wait create attach cp stats events serve resolver export completions version top port images ls stop start kill pause unpause watch help" -f -a "validate" -d 'Check the manifests; print a summary, or every problem with its place'
complete -c msctl -n "__fish_msctl_using_subcommand help; and not __fish_seen_subcommand_from validate config up plan down ps scale logs build pull push restart rollback history exec run rm wait create attach cp stats events serve resolver export completions version top port images ls stop start kill pause unpause watch help" -f -a "config" -d 'Print the resolved manifest: merged, interpolated, defaults applied'
complete -c msctl -n "__fish_msctl_using_subcommand help; and not __fish_seen_subcommand_from validate config up plan down ps scale logs build pull push restart rollback history exec run rm wait create attach cp stats events serve resolver export completions version top port images ls stop start kill pause unpause watch help" -f -a "up" -d 'Build what is missing or changed, then create and start replicas until all are ready'
complete -c msctl -n "__fish_msctl_using_subcommand help; and not __fish_seen_subcommand_from validate config up plan down ps scale logs build pull push restart rollback history exec run rm wait create attach cp stats events serve resolver export completions version top port images ls stop start kill pause unpause watch help" -f -a "plan" -d 'Print what `up` would do, one line per action, changing nothing'
complete -c msctl -n "__fish_msctl_using_subcommand help; and not __fish_seen_subcommand_from validate config up plan down ps scale logs build pull push restart rollback history exec run rm wait create attach cp stats events serve resolver export completions version top port images ls stop start kill pause unpause watch help" -f -a "down" -d 'Stop and remove the project\'s containers and networks'
complete -c msctl -n "__fish_msctl_using_subcommand help; and not __fish_seen_subcommand_from validate config up plan down ps scale logs build pull push restart rollback history exec run rm wait create attach cp stats events serve resolver export completions version top port images ls stop start kill pause unpause watch help" -f -a "ps" -d 'List the project\'s replicas with their state and health'
complete -c msctl -n "__fish_msctl_using_subcommand help; and not __fish_seen_subcommand_from validate config up plan down ps scale logs build pull push restart rollback history exec run rm wait create attach cp stats events serve resolver export completions version top port images ls stop start kill pause unpause watch help" -f -a "scale" -d 'Set the number of replicas of services: SERVICE=N'
complete -c msctl -n "__fish_msctl_using_subcommand help; and not __fish_seen_subcommand_from validate config up plan down ps scale logs build pull push restart rollback history exec run rm wait create attach cp stats events serve resolver export completions version top port images ls stop start kill pause unpause watch help" -f -a "logs" -d 'Show the logs of services\' replicas, merged in time order'
complete -c msctl -n "__fish_msctl_using_subcommand help; and not __fish_seen_subcommand_from validate config up plan down ps scale logs build pull push restart rollback history exec run rm wait create attach cp stats events serve resolver export completions version top port images ls stop start kill pause unpause watch help" -f -a "build" -d 'Build or rebuild services\' images'
complete -c msctl -n "__fish_msctl_using_subcommand help; and not __fish_seen_subcommand_from validate config up plan down ps scale logs build pull push restart rollback history exec run rm wait create attach cp stats events serve resolver export completions version top port images ls stop start kill pause unpause watch help" -f -a "pull" -d 'Pull services\' images from their registries'
complete -c msctl -n "__fish_msctl_using_subcommand help; and not __fish_seen_subcommand_from validate config up plan down ps scale logs build pull push restart rollback history exec run rm wait create attach cp stats events serve resolver export completions version top port images ls stop start kill pause unpause watch help" -f -a "push" -d 'Push the images msctl builds to their registries'
complete -c msctl -n "__fish_msctl_using_subcommand help; and not __fish_seen_subcommand_from validate config up plan down ps scale logs build pull push restart rollback history exec run rm wait create attach cp stats events serve resolver export completions version top port images ls stop start kill pause unpause watch help" -f -a "restart" -d 'Restart services one replica at a time, each ready before the next'
complete -c msctl -n "__fish_msctl_using_subcommand help; and not __fish_seen_subcommand_from validate config up plan down ps scale logs build pull push restart rollback history exec run rm wait create attach cp stats events serve resolver export completions version top port images ls stop start kill pause unpause watch help" -f -a "rollback" -d 'Roll a service back to its config before its last completed rollout'
complete -c msctl -n "__fish_msctl_using_subcommand help; and not __fish_seen_subcommand_from validate config up plan down ps scale logs build pull push restart rollback history exec run rm wait create attach cp stats events serve resolver export completions version top port images ls stop start kill pause unpause watch help" -f -a "history" -d 'List a service\'s rollouts: when, how they ended, from which image to which'
complete -c msctl -n "__fish_msctl_using_subcommand help; and not __fish_seen_subcommand_from validate config up plan down ps scale logs build pull push restart rollback history exec run rm wait create attach cp stats events serve resolver export completions version top port images ls stop start kill pause unpause watch help" -f -a "exec" -d 'Run a command in a running replica'
complete -c msctl -n "__fish_msctl_using_subcommand help; and not __fish_seen_subcommand_from validate config up plan down ps scale logs build pull push restart rollback history exec run rm wait create attach cp stats events serve resolver export completions version top port images ls stop start kill pause unpause watch help" -f -a "run" -d 'Run a one-off command in a new container of a service (dependencies first)'
complete -c msctl -n "__fish_msctl_using_subcommand help; and not __fish_seen_subcommand_from validate config up plan down ps scale logs build pull push restart rollback history exec run rm wait create attach cp stats events serve resolver export completions version top port images ls stop start kill pause unpause watch help" -f -a "rm" -d 'Remove stopped containers of the services (one-off containers too)'
complete -c msctl -n "__fish_msctl_using_subcommand help; and not __fish_seen_subcommand_from validate config up plan down ps scale logs build pull push restart rollback history exec run rm wait create attach cp stats events serve resolver export completions version top port images ls stop start kill pause unpause watch help" -f -a "wait" -d 'Wait until the services\' containers stop; exit with the first one\'s exit code'
complete -c msctl -n "__fish_msctl_using_subcommand help; and not __fish_seen_subcommand_from validate config up plan down ps scale logs build pull push restart rollback history exec run rm wait create attach cp stats events serve resolver export completions version top port images ls stop start kill pause unpause watch help" -f -a "create" -d 'Create the services\' replicas without starting them (`start` or `up` does)'
complete -c msctl -n "__fish_msctl_using_subcommand help; and not __fish_seen_subcommand_from validate config up plan down ps scale logs build pull push restart rollback history exec run rm wait create attach cp stats events serve resolver export completions version top port images ls stop start kill pause unpause watch help" -f -a "attach" -d 'Attach to a replica\'s main process: its output, and your input'
complete -c msctl -n "__fish_msctl_using_subcommand help; and not __fish_seen_subcommand_from validate config up plan down ps scale logs build pull push restart rollback history exec run rm wait create attach cp stats events serve resolver export completions version top port images ls stop start kill pause unpause watch help" -f -a "cp" -d 'Copy files between a service\'s containers and this machine'
complete -c msctl -n "__fish_msctl_using_subcommand help; and not __fish_seen_subcommand_from validate config up plan down ps scale logs build pull push restart rollback history exec run rm wait create attach cp stats events serve resolver export completions version top port images ls stop start kill pause unpause watch help" -f -a "stats" -d 'Live CPU, memory, network and block I/O of each replica'
complete -c msctl -n "__fish_msctl_using_subcommand help; and not __fish_seen_subcommand_from validate config up plan down ps scale logs build pull push restart rollback history exec run rm wait create attach cp stats events serve resolver export completions version top port images ls stop start kill pause unpause watch help" -f -a "events" -d 'Show what happened to projects: replicas that died and were replaced, backoff, scaling'
complete -c msctl -n "__fish_msctl_using_subcommand help; and not __fish_seen_subcommand_from validate config up plan down ps scale logs build pull push restart rollback history exec run rm wait create attach cp stats events serve resolver export completions version top port images ls stop start kill pause unpause watch help" -f -a "serve" -d 'Run the control plane in the foreground: keep projects healthy, serve the HTTP API'
complete -c msctl -n "__fish_msctl_using_subcommand help; and not __fish_seen_subcommand_from validate config up plan down ps scale logs build pull push restart rollback history exec run rm wait create attach cp stats events serve resolver export completions version top port images ls stop start kill pause unpause watch help" -f -a "resolver" -d 'Answer readiness-gated service names (DNS) on the networks\' gateways; `up` runs it in a container of its own, one per engine'
complete -c msctl -n "__fish_msctl_using_subcommand help; and not __fish_seen_subcommand_from validate config up plan down ps scale logs build pull push restart rollback history exec run rm wait create attach cp stats events serve resolver export completions version top port images ls stop start kill pause unpause watch help" -f -a "export" -d 'Translate the project into another orchestrator\'s manifests'
complete -c msctl -n "__fish_msctl_using_subcommand help; and not __fish_seen_subcommand_from validate config up plan down ps scale logs build pull push restart rollback history exec run rm wait create attach cp stats events serve resolver export completions version top port images ls stop start kill pause unpause watch help" -f -a "completions" -d 'Print a shell completion script'
complete -c msctl -n "__fish_msctl_using_subcommand help; and not __fish_seen_subcommand_from validate config up plan down ps scale logs build pull push restart rollback history exec run rm wait create attach cp stats events serve resolver export completions version top port images ls stop start kill pause unpause watch help" -f -a "version" -d 'Show msctl\'s version, the Docker engine\'s, and the API version they speak'
complete -c msctl -n "__fish_msctl_using_subcommand help; and not __fish_seen_subcommand_from validate config up plan down ps scale logs build pull push restart rollback history exec run rm wait create attach cp stats events serve resolver export completions version top port images ls stop start kill pause unpause watch help" -f -a "top" -d 'Show the processes running in services\' containers'
complete -c msctl -n "__fish_msctl_using_subcommand help; and not __fish_seen_subcommand_from validate config up plan down ps scale logs build pull push restart rollback history exec run rm wait create attach cp stats events serve resolver export completions version top port images ls stop start kill pause unpause watch help" -f -a "port" -d 'Print the host address a service\'s container port is published on'
complete -c msctl -n "__fish_msctl_using_subcommand help; and not __fish_seen_subcommand_from validate config up plan down ps scale logs build pull push restart rollback history exec run rm wait create attach cp stats events serve resolver export completions version top port images ls stop start kill pause unpause watch help" -f -a "images" -d 'List the images services\' containers run'
complete -c msctl -n "__fish_msctl_using_subcommand help; and not __fish_seen_subcommand_from validate config up plan down ps scale logs build pull push restart rollback history exec run rm wait create attach cp stats events serve resolver export completions version top port images ls stop start kill pause unpause watch help" -f -a "ls" -d 'List the projects with containers on this engine'
complete -c msctl -n "__fish_msctl_using_subcommand help; and not __fish_seen_subcommand_from validate config up plan down ps scale logs build pull push restart rollback history exec run rm wait create attach cp stats events serve resolver export completions version top port images ls stop start kill pause unpause watch help" -f -a "stop" -d 'Stop services\' replicas, and keep self-heal from starting them until `start`'
complete -c msctl -n "__fish_msctl_using_subcommand help; and not __fish_seen_subcommand_from validate config up plan down ps scale logs build pull push restart rollback history exec run rm wait create attach cp stats events serve resolver export completions version top port images ls stop start kill pause unpause watch help" -f -a "start" -d 'Start services\' stopped replicas again'
complete -c msctl -n "__fish_msctl_using_subcommand help; and not __fish_seen_subcommand_from validate config up plan down ps scale logs build pull push restart rollback history exec run rm wait create attach cp stats events serve resolver export completions version top port images ls stop start kill pause unpause watch help" -f -a "kill" -d 'Send services\' replicas a signal (SIGKILL: force stop, held like `stop`)'
complete -c msctl -n "__fish_msctl_using_subcommand help; and not __fish_seen_subcommand_from validate config up plan down ps scale logs build pull push restart rollback history exec run rm wait create attach cp stats events serve resolver export completions version top port images ls stop start kill pause unpause watch help" -f -a "pause" -d 'Freeze services\' running replicas, and keep self-heal off them until `unpause`'
complete -c msctl -n "__fish_msctl_using_subcommand help; and not __fish_seen_subcommand_from validate config up plan down ps scale logs build pull push restart rollback history exec run rm wait create attach cp stats events serve resolver export completions version top port images ls stop start kill pause unpause watch help" -f -a "unpause" -d 'Thaw services\' paused replicas'
complete -c msctl -n "__fish_msctl_using_subcommand help; and not __fish_seen_subcommand_from validate config up plan down ps scale logs build pull push restart rollback history exec run rm wait create attach cp stats events serve resolver export completions version top port images ls stop start kill pause unpause watch help" -f -a "watch" -d 'Bring services up, then rebuild and roll, sync or restart them as their files change'
complete -c msctl -n "__fish_msctl_using_subcommand help; and not __fish_seen_subcommand_from validate config up plan down ps scale logs build pull push restart rollback history exec run rm wait create attach cp stats events serve resolver export completions version top port images ls stop start kill pause unpause watch help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
