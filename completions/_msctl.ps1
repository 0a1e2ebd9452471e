
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'msctl' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'msctl'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'msctl' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Directory relative paths are resolved against (default: the first manifest''s)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file for interpolation (default: `.env` in the project directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Enable services of this profile (repeatable; `*` enables all)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format of commands that print data')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Where the project runs: `local` (this engine''s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour output (also: NO_COLOR, CI=true)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Check the manifests; print a summary, or every problem with its place')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Print the resolved manifest: merged, interpolated, defaults applied')
            [CompletionResult]::new('up', 'up', [CompletionResultType]::ParameterValue, 'Build what is missing or changed, then create and start replicas until all are ready')
            [CompletionResult]::new('plan', 'plan', [CompletionResultType]::ParameterValue, 'Print what `up` would do, one line per action, changing nothing')
            [CompletionResult]::new('down', 'down', [CompletionResultType]::ParameterValue, 'Stop and remove the project''s containers and networks')
            [CompletionResult]::new('ps', 'ps', [CompletionResultType]::ParameterValue, 'List the project''s replicas with their state and health')
            [CompletionResult]::new('scale', 'scale', [CompletionResultType]::ParameterValue, 'Set the number of replicas of services: SERVICE=N')
            [CompletionResult]::new('logs', 'logs', [CompletionResultType]::ParameterValue, 'Show the logs of services'' replicas, merged in time order')
            [CompletionResult]::new('build', 'build', [CompletionResultType]::ParameterValue, 'Build or rebuild services'' images')
            [CompletionResult]::new('pull', 'pull', [CompletionResultType]::ParameterValue, 'Pull services'' images from their registries')
            [CompletionResult]::new('push', 'push', [CompletionResultType]::ParameterValue, 'Push the images msctl builds to their registries')
            [CompletionResult]::new('restart', 'restart', [CompletionResultType]::ParameterValue, 'Restart services one replica at a time, each ready before the next')
            [CompletionResult]::new('rollback', 'rollback', [CompletionResultType]::ParameterValue, 'Roll a service back to its config before its last completed rollout')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'List a service''s rollouts: when, how they ended, from which image to which')
            [CompletionResult]::new('exec', 'exec', [CompletionResultType]::ParameterValue, 'Run a command in a running replica')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run a one-off command in a new container of a service (dependencies first)')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Remove stopped containers of the services (one-off containers too)')
            [CompletionResult]::new('wait', 'wait', [CompletionResultType]::ParameterValue, 'Wait until the services'' containers stop; exit with the first one''s exit code')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create the services'' replicas without starting them (`start` or `up` does)')
            [CompletionResult]::new('attach', 'attach', [CompletionResultType]::ParameterValue, 'Attach to a replica''s main process: its output, and your input')
            [CompletionResult]::new('cp', 'cp', [CompletionResultType]::ParameterValue, 'Copy files between a service''s containers and this machine')
            [CompletionResult]::new('stats', 'stats', [CompletionResultType]::ParameterValue, 'Live CPU, memory, network and block I/O of each replica')
            [CompletionResult]::new('events', 'events', [CompletionResultType]::ParameterValue, 'Show what happened to projects: replicas that died and were replaced, backoff, scaling')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run the control plane in the foreground: keep projects healthy, serve the HTTP API')
            [CompletionResult]::new('resolver', 'resolver', [CompletionResultType]::ParameterValue, 'Answer readiness-gated service names (DNS) on the networks'' gateways; `up` runs it in a container of its own, one per engine')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Translate the project into another orchestrator''s manifests')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('version', 'version', [CompletionResultType]::ParameterValue, 'Show msctl''s version, the Docker engine''s, and the API version they speak')
            [CompletionResult]::new('top', 'top', [CompletionResultType]::ParameterValue, 'Show the processes running in services'' containers')
            [CompletionResult]::new('port', 'port', [CompletionResultType]::ParameterValue, 'Print the host address a service''s container port is published on')
            [CompletionResult]::new('images', 'images', [CompletionResultType]::ParameterValue, 'List the images services'' containers run')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List the projects with containers on this engine')
            [CompletionResult]::new('stop', 'stop', [CompletionResultType]::ParameterValue, 'Stop services'' replicas, and keep self-heal from starting them until `start`')
            [CompletionResult]::new('start', 'start', [CompletionResultType]::ParameterValue, 'Start services'' stopped replicas again')
            [CompletionResult]::new('kill', 'kill', [CompletionResultType]::ParameterValue, 'Send services'' replicas a signal (SIGKILL: force stop, held like `stop`)')
            [CompletionResult]::new('pause', 'pause', [CompletionResultType]::ParameterValue, 'Freeze services'' running replicas, and keep self-heal off them until `unpause`')
            [CompletionResult]::new('unpause', 'unpause', [CompletionResultType]::ParameterValue, 'Thaw services'' paused replicas')
            [CompletionResult]::new('watch', 'watch', [CompletionResultType]::ParameterValue, 'Bring services up, then rebuild and roll, sync or restart them as their files change')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'msctl;validate' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Directory relative paths are resolved against (default: the first manifest''s)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file for interpolation (default: `.env` in the project directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Enable services of this profile (repeatable; `*` enables all)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format of commands that print data')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Where the project runs: `local` (this engine''s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Treat every warning (risky settings, ignored keys, unset variables) as an error')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour output (also: NO_COLOR, CI=true)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msctl;config' {
            [CompletionResult]::new('--hash', '--hash', [CompletionResultType]::ParameterName, 'Print each service''s config hash (`*` or a comma-separated list of services)')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Directory relative paths are resolved against (default: the first manifest''s)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file for interpolation (default: `.env` in the project directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Enable services of this profile (repeatable; `*` enables all)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format of commands that print data')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Where the project runs: `local` (this engine''s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)')
            [CompletionResult]::new('--services', '--services', [CompletionResultType]::ParameterName, 'Print only the service names, one per line')
            [CompletionResult]::new('--volumes', '--volumes', [CompletionResultType]::ParameterName, 'Print only the volume names, one per line')
            [CompletionResult]::new('--networks', '--networks', [CompletionResultType]::ParameterName, 'Print only the networks names, one per line')
            [CompletionResult]::new('--profiles', '--profiles', [CompletionResultType]::ParameterName, 'Print only the profile names, one per line')
            [CompletionResult]::new('--images', '--images', [CompletionResultType]::ParameterName, 'Print only the images of the services, one per line')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour output (also: NO_COLOR, CI=true)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msctl;up' {
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Longest wait for every replica to be ready, in seconds')
            [CompletionResult]::new('--pull', '--pull', [CompletionResultType]::ParameterName, 'Pull images before starting: `always`, `missing`, `never` [default: each service''s `pull_policy`]')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Directory relative paths are resolved against (default: the first manifest''s)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file for interpolation (default: `.env` in the project directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Enable services of this profile (repeatable; `*` enables all)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format of commands that print data')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Where the project runs: `local` (this engine''s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Return once replicas are started, without waiting for them to be ready')
            [CompletionResult]::new('--detach', '--detach', [CompletionResultType]::ParameterName, 'Return once replicas are started, without waiting for them to be ready')
            [CompletionResult]::new('--remove-orphans', '--remove-orphans', [CompletionResultType]::ParameterName, 'Also remove containers of services no longer in the manifest')
            [CompletionResult]::new('--force-recreate', '--force-recreate', [CompletionResultType]::ParameterName, 'Recreate every replica, even unchanged ones')
            [CompletionResult]::new('--no-recreate', '--no-recreate', [CompletionResultType]::ParameterName, 'Never recreate existing replicas, even changed ones')
            [CompletionResult]::new('--no-build', '--no-build', [CompletionResultType]::ParameterName, 'Do not build images, even missing ones')
            [CompletionResult]::new('--build', '--build', [CompletionResultType]::ParameterName, 'Build images before starting, even unchanged ones')
            [CompletionResult]::new('--reset-scale', '--reset-scale', [CompletionResultType]::ParameterName, 'Forget counts set by `scale`: use the manifest''s replicas again')
            [CompletionResult]::new('--no-self-heal', '--no-self-heal', [CompletionResultType]::ParameterName, 'Do not keep the project healthy afterwards: no control plane replaces replicas that die (also: MSCTL_SELF_HEAL=0)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the plan, one line per action, and change nothing (as `msctl plan`)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour output (also: NO_COLOR, CI=true)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msctl;plan' {
            [CompletionResult]::new('--pull', '--pull', [CompletionResultType]::ParameterName, 'Plan pulling images: `always`, `missing`, `never` [default: each service''s `pull_policy`]')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Directory relative paths are resolved against (default: the first manifest''s)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file for interpolation (default: `.env` in the project directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Enable services of this profile (repeatable; `*` enables all)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format of commands that print data')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Where the project runs: `local` (this engine''s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)')
            [CompletionResult]::new('--detailed-exitcode', '--detailed-exitcode', [CompletionResultType]::ParameterName, 'Exit 0 when nothing would change, 2 when something would, 1 on error')
            [CompletionResult]::new('--remove-orphans', '--remove-orphans', [CompletionResultType]::ParameterName, 'Plan removing containers of services no longer in the manifest')
            [CompletionResult]::new('--force-recreate', '--force-recreate', [CompletionResultType]::ParameterName, 'Plan recreating every replica, even unchanged ones')
            [CompletionResult]::new('--no-recreate', '--no-recreate', [CompletionResultType]::ParameterName, 'Plan never recreating existing replicas')
            [CompletionResult]::new('--no-build', '--no-build', [CompletionResultType]::ParameterName, 'Plan building no image')
            [CompletionResult]::new('--build', '--build', [CompletionResultType]::ParameterName, 'Plan building every buildable image')
            [CompletionResult]::new('--reset-scale', '--reset-scale', [CompletionResultType]::ParameterName, 'Plan with the manifest''s replicas, forgetting counts set by `scale`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour output (also: NO_COLOR, CI=true)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msctl;down' {
            [CompletionResult]::new('--rmi', '--rmi', [CompletionResultType]::ParameterName, 'Also remove images: `local` (built by msctl) or `all`')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Seconds to wait for each container to stop before killing it (default: its stop_grace_period)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each container to stop before killing it (default: its stop_grace_period)')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Directory relative paths are resolved against (default: the first manifest''s)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file for interpolation (default: `.env` in the project directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Enable services of this profile (repeatable; `*` enables all)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format of commands that print data')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Where the project runs: `local` (this engine''s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)')
            [CompletionResult]::new('--volumes', '--volumes', [CompletionResultType]::ParameterName, 'Also remove the project''s named volumes (data is lost); `-v` after `down` too')
            [CompletionResult]::new('--remove-orphans', '--remove-orphans', [CompletionResultType]::ParameterName, 'Also remove containers of services no longer in the manifest')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour output (also: NO_COLOR, CI=true)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msctl;ps' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Directory relative paths are resolved against (default: the first manifest''s)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file for interpolation (default: `.env` in the project directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Enable services of this profile (repeatable; `*` enables all)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format of commands that print data')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Where the project runs: `local` (this engine''s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'Also show stopped replicas')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Also show stopped replicas')
            [CompletionResult]::new('--ids', '--ids', [CompletionResultType]::ParameterName, 'Only print container ids (also: the global `-q`, as in Compose)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour output (also: NO_COLOR, CI=true)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msctl;scale' {
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Longest wait for new replicas to be ready, in seconds')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Directory relative paths are resolved against (default: the first manifest''s)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file for interpolation (default: `.env` in the project directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Enable services of this profile (repeatable; `*` enables all)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format of commands that print data')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Where the project runs: `local` (this engine''s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)')
            [CompletionResult]::new('--no-wait', '--no-wait', [CompletionResultType]::ParameterName, 'Return once replicas are started, without waiting for them to be ready')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour output (also: NO_COLOR, CI=true)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msctl;logs' {
            [CompletionResult]::new('--tail', '--tail', [CompletionResultType]::ParameterName, 'Lines to show from the end of each replica''s log')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only lines since this time (RFC 3339, or a duration like 10m ago)')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'Only lines before this time (RFC 3339, or a duration like 10m ago)')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Directory relative paths are resolved against (default: the first manifest''s)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file for interpolation (default: `.env` in the project directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Enable services of this profile (repeatable; `*` enables all)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format of commands that print data')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Where the project runs: `local` (this engine''s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)')
            [CompletionResult]::new('--follow', '--follow', [CompletionResultType]::ParameterName, 'Follow new lines, and replicas that start later (`-f` after `logs`)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Show timestamps')
            [CompletionResult]::new('--timestamps', '--timestamps', [CompletionResultType]::ParameterName, 'Show timestamps')
            [CompletionResult]::new('--no-prefix', '--no-prefix', [CompletionResultType]::ParameterName, 'Do not prefix lines with `service-n |`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour output (also: NO_COLOR, CI=true)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msctl;build' {
            [CompletionResult]::new('--pull', '--pull', [CompletionResultType]::ParameterName, 'Base images of Dockerfiles: `missing` pulls one the engine lacks, `never` fails')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Directory relative paths are resolved against (default: the first manifest''s)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file for interpolation (default: `.env` in the project directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Enable services of this profile (repeatable; `*` enables all)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format of commands that print data')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Where the project runs: `local` (this engine''s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)')
            [CompletionResult]::new('--no-cache', '--no-cache', [CompletionResultType]::ParameterName, 'Build without the engine''s layer cache')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour output (also: NO_COLOR, CI=true)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msctl;pull' {
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, '`always` pulls every image, `missing` only those the engine lacks')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Directory relative paths are resolved against (default: the first manifest''s)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file for interpolation (default: `.env` in the project directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Enable services of this profile (repeatable; `*` enables all)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format of commands that print data')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Where the project runs: `local` (this engine''s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)')
            [CompletionResult]::new('--include-deps', '--include-deps', [CompletionResultType]::ParameterName, 'Also pull the images of the services they depend on')
            [CompletionResult]::new('--ignore-pull-failures', '--ignore-pull-failures', [CompletionResultType]::ParameterName, 'Warn about images that cannot be pulled instead of failing')
            [CompletionResult]::new('--ignore-buildable', '--ignore-buildable', [CompletionResultType]::ParameterName, 'Leave out services msctl builds')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour output (also: NO_COLOR, CI=true)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msctl;push' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Directory relative paths are resolved against (default: the first manifest''s)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file for interpolation (default: `.env` in the project directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Enable services of this profile (repeatable; `*` enables all)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format of commands that print data')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Where the project runs: `local` (this engine''s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)')
            [CompletionResult]::new('--include-deps', '--include-deps', [CompletionResultType]::ParameterName, 'Also push the images of the services they depend on')
            [CompletionResult]::new('--ignore-push-failures', '--ignore-push-failures', [CompletionResultType]::ParameterName, 'Warn about images that cannot be pushed instead of failing')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour output (also: NO_COLOR, CI=true)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msctl;restart' {
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Seconds to wait for each replica to stop before killing it')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each replica to stop before killing it')
            [CompletionResult]::new('--ready-timeout', '--ready-timeout', [CompletionResultType]::ParameterName, 'Longest wait for each restarted replica to be ready, in seconds')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Directory relative paths are resolved against (default: the first manifest''s)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file for interpolation (default: `.env` in the project directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Enable services of this profile (repeatable; `*` enables all)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format of commands that print data')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Where the project runs: `local` (this engine''s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour output (also: NO_COLOR, CI=true)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msctl;rollback' {
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Longest wait for the rolled-back replicas to be ready, in seconds')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Directory relative paths are resolved against (default: the first manifest''s)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file for interpolation (default: `.env` in the project directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Enable services of this profile (repeatable; `*` enables all)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format of commands that print data')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Where the project runs: `local` (this engine''s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour output (also: NO_COLOR, CI=true)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msctl;history' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Directory relative paths are resolved against (default: the first manifest''s)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file for interpolation (default: `.env` in the project directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Enable services of this profile (repeatable; `*` enables all)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format of commands that print data')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Where the project runs: `local` (this engine''s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour output (also: NO_COLOR, CI=true)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msctl;exec' {
            [CompletionResult]::new('--index', '--index', [CompletionResultType]::ParameterName, 'Replica number (default: the first ready replica)')
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Environment variables for the command')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Environment variables for the command')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Run as this user')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Run as this user')
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'Working directory inside the container')
            [CompletionResult]::new('--workdir', '--workdir', [CompletionResultType]::ParameterName, 'Working directory inside the container')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Directory relative paths are resolved against (default: the first manifest''s)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file for interpolation (default: `.env` in the project directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Enable services of this profile (repeatable; `*` enables all)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format of commands that print data')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Where the project runs: `local` (this engine''s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)')
            [CompletionResult]::new('-T', '-T ', [CompletionResultType]::ParameterName, 'Do not allocate a TTY, even when stdin is one')
            [CompletionResult]::new('--no-tty', '--no-tty', [CompletionResultType]::ParameterName, 'Do not allocate a TTY, even when stdin is one')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Start the command in the background and return at once')
            [CompletionResult]::new('--detach', '--detach', [CompletionResultType]::ParameterName, 'Start the command in the background and return at once')
            [CompletionResult]::new('--privileged', '--privileged', [CompletionResultType]::ParameterName, 'Give the command extended privileges')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour output (also: NO_COLOR, CI=true)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msctl;run' {
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Name the container (default: PROJECT-SERVICE-run-ID)')
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Environment variables for the command (`KEY` alone takes msctl''s value)')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Environment variables for the command (`KEY` alone takes msctl''s value)')
            [CompletionResult]::new('--env-from-file', '--env-from-file', [CompletionResultType]::ParameterName, 'Environment variables from a file of KEY=VALUE lines (repeatable)')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Labels for the container')
            [CompletionResult]::new('--label', '--label', [CompletionResultType]::ParameterName, 'Labels for the container')
            [CompletionResult]::new('--volume', '--volume', [CompletionResultType]::ParameterName, 'Mount a volume or host path, `[SOURCE:]TARGET[:ro]` (`-v` after `run`)')
            [CompletionResult]::new('--publish', '--publish', [CompletionResultType]::ParameterName, 'Publish a port, `[[IP:]HOST:]CONTAINER[/PROTOCOL]` (`-p` after `run`)')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Keep standard input attached (`--interactive=false` detaches it)')
            [CompletionResult]::new('--interactive', '--interactive', [CompletionResultType]::ParameterName, 'Keep standard input attached (`--interactive=false` detaches it)')
            [CompletionResult]::new('--entrypoint', '--entrypoint', [CompletionResultType]::ParameterName, 'Override the image''s entrypoint (a command line, split as a shell would)')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Run as this user')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Run as this user')
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'Working directory inside the container')
            [CompletionResult]::new('--workdir', '--workdir', [CompletionResultType]::ParameterName, 'Working directory inside the container')
            [CompletionResult]::new('--cap-add', '--cap-add', [CompletionResultType]::ParameterName, 'Add Linux capabilities')
            [CompletionResult]::new('--cap-drop', '--cap-drop', [CompletionResultType]::ParameterName, 'Drop Linux capabilities')
            [CompletionResult]::new('--pull', '--pull', [CompletionResultType]::ParameterName, 'Pull images first: `always`, `missing`, `never` [default: each service''s `pull_policy`]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Longest wait for the dependencies to be ready, in seconds')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Directory relative paths are resolved against (default: the first manifest''s)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file for interpolation (default: `.env` in the project directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Enable services of this profile (repeatable; `*` enables all)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format of commands that print data')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Where the project runs: `local` (this engine''s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)')
            [CompletionResult]::new('--rm', '--rm', [CompletionResultType]::ParameterName, 'Remove the container when the command ends')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Start the container and print its name, without waiting for the command')
            [CompletionResult]::new('--detach', '--detach', [CompletionResultType]::ParameterName, 'Start the container and print its name, without waiting for the command')
            [CompletionResult]::new('-P', '-P ', [CompletionResultType]::ParameterName, 'Publish the ports the service declares')
            [CompletionResult]::new('--service-ports', '--service-ports', [CompletionResultType]::ParameterName, 'Publish the ports the service declares')
            [CompletionResult]::new('--use-aliases', '--use-aliases', [CompletionResultType]::ParameterName, 'Give the container the service''s names on its networks')
            [CompletionResult]::new('--no-deps', '--no-deps', [CompletionResultType]::ParameterName, 'Do not start the services it depends on')
            [CompletionResult]::new('-T', '-T ', [CompletionResultType]::ParameterName, 'Do not allocate a TTY, even when stdin is one')
            [CompletionResult]::new('--no-tty', '--no-tty', [CompletionResultType]::ParameterName, 'Do not allocate a TTY, even when stdin is one')
            [CompletionResult]::new('--build', '--build', [CompletionResultType]::ParameterName, 'Build the image first, even when it is up to date')
            [CompletionResult]::new('--remove-orphans', '--remove-orphans', [CompletionResultType]::ParameterName, 'Also remove containers of services no longer in the manifest (when starting the dependencies)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour output (also: NO_COLOR, CI=true)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msctl;rm' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Directory relative paths are resolved against (default: the first manifest''s)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file for interpolation (default: `.env` in the project directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Enable services of this profile (repeatable; `*` enables all)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format of commands that print data')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Where the project runs: `local` (this engine''s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Do not ask for confirmation, needed without a terminal (`-f` after `rm`)')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Stop the containers first, holding the services stopped as `msctl stop` does')
            [CompletionResult]::new('--stop', '--stop', [CompletionResultType]::ParameterName, 'Stop the containers first, holding the services stopped as `msctl stop` does')
            [CompletionResult]::new('--volumes', '--volumes', [CompletionResultType]::ParameterName, 'Also remove the containers'' anonymous volumes (`-v` after `rm`)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour output (also: NO_COLOR, CI=true)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msctl;wait' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Directory relative paths are resolved against (default: the first manifest''s)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file for interpolation (default: `.env` in the project directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Enable services of this profile (repeatable; `*` enables all)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format of commands that print data')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Where the project runs: `local` (this engine''s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)')
            [CompletionResult]::new('--down-project', '--down-project', [CompletionResultType]::ParameterName, 'Take the project down (as `msctl down`) when the first container stops')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour output (also: NO_COLOR, CI=true)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msctl;create' {
            [CompletionResult]::new('--pull', '--pull', [CompletionResultType]::ParameterName, 'Pull images first: `always`, `missing`, `never` [default: each service''s `pull_policy`]')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Directory relative paths are resolved against (default: the first manifest''s)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file for interpolation (default: `.env` in the project directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Enable services of this profile (repeatable; `*` enables all)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format of commands that print data')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Where the project runs: `local` (this engine''s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)')
            [CompletionResult]::new('--build', '--build', [CompletionResultType]::ParameterName, 'Build images first, even unchanged ones')
            [CompletionResult]::new('--no-build', '--no-build', [CompletionResultType]::ParameterName, 'Do not build images, even missing ones')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour output (also: NO_COLOR, CI=true)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msctl;attach' {
            [CompletionResult]::new('--index', '--index', [CompletionResultType]::ParameterName, 'Replica number (default: the first running replica)')
            [CompletionResult]::new('--sig-proxy', '--sig-proxy', [CompletionResultType]::ParameterName, 'Pass the signals msctl receives on to the process (`--sig-proxy=false` does not)')
            [CompletionResult]::new('--detach-keys', '--detach-keys', [CompletionResultType]::ParameterName, 'Keys that detach and leave the process running (default: ctrl-p,ctrl-q)')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Directory relative paths are resolved against (default: the first manifest''s)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file for interpolation (default: `.env` in the project directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Enable services of this profile (repeatable; `*` enables all)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format of commands that print data')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Where the project runs: `local` (this engine''s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)')
            [CompletionResult]::new('--no-stdin', '--no-stdin', [CompletionResultType]::ParameterName, 'Do not attach standard input')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour output (also: NO_COLOR, CI=true)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msctl;cp' {
            [CompletionResult]::new('--index', '--index', [CompletionResultType]::ParameterName, 'Replica number (default: from the first replica; to every replica)')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Directory relative paths are resolved against (default: the first manifest''s)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file for interpolation (default: `.env` in the project directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Enable services of this profile (repeatable; `*` enables all)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format of commands that print data')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Where the project runs: `local` (this engine''s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'Keep the files'' owners (uid and gid)')
            [CompletionResult]::new('--archive', '--archive', [CompletionResultType]::ParameterName, 'Keep the files'' owners (uid and gid)')
            [CompletionResult]::new('-L', '-L ', [CompletionResultType]::ParameterName, 'Follow a symbolic link given as the source')
            [CompletionResult]::new('--follow-link', '--follow-link', [CompletionResultType]::ParameterName, 'Follow a symbolic link given as the source')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour output (also: NO_COLOR, CI=true)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msctl;stats' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Directory relative paths are resolved against (default: the first manifest''s)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file for interpolation (default: `.env` in the project directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Enable services of this profile (repeatable; `*` enables all)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format of commands that print data')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Where the project runs: `local` (this engine''s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'Also list stopped replicas (with no figures)')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Also list stopped replicas (with no figures)')
            [CompletionResult]::new('--no-stream', '--no-stream', [CompletionResultType]::ParameterName, 'Print one sample and exit (the default without a terminal is a sample a second)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour output (also: NO_COLOR, CI=true)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msctl;events' {
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Only the last N events before following')
            [CompletionResult]::new('--tail', '--tail', [CompletionResultType]::ParameterName, 'Only the last N events before following')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Directory relative paths are resolved against (default: the first manifest''s)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file for interpolation (default: `.env` in the project directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Enable services of this profile (repeatable; `*` enables all)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format of commands that print data')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Where the project runs: `local` (this engine''s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)')
            [CompletionResult]::new('--follow', '--follow', [CompletionResultType]::ParameterName, 'Keep printing new events as they happen (`-f` after `events`)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour output (also: NO_COLOR, CI=true)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msctl;serve' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address of the HTTP API [default: 127.0.0.1:7311, or a free port when that one is taken; the address is written to `api-addr` in the state directory]')
            [CompletionResult]::new('--resync', '--resync', [CompletionResultType]::ParameterName, 'Seconds between two rounds of a project when no event comes')
            [CompletionResult]::new('--backoff-initial', '--backoff-initial', [CompletionResultType]::ParameterName, 'Seconds a service is held back after its first failure (doubled after each next)')
            [CompletionResult]::new('--backoff-max', '--backoff-max', [CompletionResultType]::ParameterName, 'Longest a failing service is held back, in seconds')
            [CompletionResult]::new('--autoscale-interval', '--autoscale-interval', [CompletionResultType]::ParameterName, 'Seconds between two CPU measurements of an autoscaled service''s replicas')
            [CompletionResult]::new('--readiness-interval', '--readiness-interval', [CompletionResultType]::ParameterName, 'Seconds between two readiness checks of a project''s replicas, which decide which of them its service names and its ingress ports lead to')
            [CompletionResult]::new('--install-service', '--install-service', [CompletionResultType]::ParameterName, 'Write a systemd unit that runs this control plane (restarted whenever it dies) to FILE, then exit')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Directory relative paths are resolved against (default: the first manifest''s)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file for interpolation (default: `.env` in the project directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Enable services of this profile (repeatable; `*` enables all)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format of commands that print data')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Where the project runs: `local` (this engine''s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)')
            [CompletionResult]::new('--background', '--background', [CompletionResultType]::ParameterName, 'Started by `msctl up`: detach from the terminal, stop when no project needs it; without `--supervised`, supervise the control plane (start it again when it dies)')
            [CompletionResult]::new('--supervised', '--supervised', [CompletionResultType]::ParameterName, 'The control plane a supervisor runs (with `--background`)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour output (also: NO_COLOR, CI=true)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msctl;resolver' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address of its HTTP API, through which msctl says which replicas serve')
            [CompletionResult]::new('--dns-port', '--dns-port', [CompletionResultType]::ParameterName, 'Port it answers DNS on, on each gateway it serves')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'The bearer token of its API')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Directory relative paths are resolved against (default: the first manifest''s)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file for interpolation (default: `.env` in the project directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Enable services of this profile (repeatable; `*` enables all)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format of commands that print data')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Where the project runs: `local` (this engine''s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour output (also: NO_COLOR, CI=true)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msctl;export' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write one file per object into this directory (created; must be empty) instead of one YAML stream on stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write one file per object into this directory (created; must be empty) instead of one YAML stream on stdout')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Directory relative paths are resolved against (default: the first manifest''s)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file for interpolation (default: `.env` in the project directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Enable services of this profile (repeatable; `*` enables all)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format of commands that print data')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Where the project runs: `local` (this engine''s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour output (also: NO_COLOR, CI=true)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msctl;completions' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Directory relative paths are resolved against (default: the first manifest''s)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file for interpolation (default: `.env` in the project directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Enable services of this profile (repeatable; `*` enables all)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format of commands that print data')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Where the project runs: `local` (this engine''s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour output (also: NO_COLOR, CI=true)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msctl;version' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Directory relative paths are resolved against (default: the first manifest''s)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file for interpolation (default: `.env` in the project directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Enable services of this profile (repeatable; `*` enables all)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format of commands that print data')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Where the project runs: `local` (this engine''s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)')
            [CompletionResult]::new('--short', '--short', [CompletionResultType]::ParameterName, 'Print msctl''s version number only')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour output (also: NO_COLOR, CI=true)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msctl;top' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Directory relative paths are resolved against (default: the first manifest''s)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file for interpolation (default: `.env` in the project directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Enable services of this profile (repeatable; `*` enables all)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format of commands that print data')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Where the project runs: `local` (this engine''s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour output (also: NO_COLOR, CI=true)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msctl;port' {
            [CompletionResult]::new('--index', '--index', [CompletionResultType]::ParameterName, 'Which replica (default: 1)')
            [CompletionResult]::new('--protocol', '--protocol', [CompletionResultType]::ParameterName, 'The port''s protocol')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Directory relative paths are resolved against (default: the first manifest''s)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file for interpolation (default: `.env` in the project directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Enable services of this profile (repeatable; `*` enables all)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format of commands that print data')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Where the project runs: `local` (this engine''s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour output (also: NO_COLOR, CI=true)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msctl;images' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Directory relative paths are resolved against (default: the first manifest''s)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file for interpolation (default: `.env` in the project directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Enable services of this profile (repeatable; `*` enables all)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format of commands that print data')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Where the project runs: `local` (this engine''s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)')
            [CompletionResult]::new('--ids', '--ids', [CompletionResultType]::ParameterName, 'Only print image ids, each once (also: the global `-q`, as in Compose)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour output (also: NO_COLOR, CI=true)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msctl;ls' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Directory relative paths are resolved against (default: the first manifest''s)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file for interpolation (default: `.env` in the project directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Enable services of this profile (repeatable; `*` enables all)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format of commands that print data')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Where the project runs: `local` (this engine''s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'Also list projects whose containers are all stopped')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Also list projects whose containers are all stopped')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour output (also: NO_COLOR, CI=true)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msctl;stop' {
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Grace period after the stop signal, in seconds (default: each service''s stop_grace_period, else 10)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Grace period after the stop signal, in seconds (default: each service''s stop_grace_period, else 10)')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Directory relative paths are resolved against (default: the first manifest''s)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file for interpolation (default: `.env` in the project directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Enable services of this profile (repeatable; `*` enables all)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format of commands that print data')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Where the project runs: `local` (this engine''s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour output (also: NO_COLOR, CI=true)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msctl;start' {
            [CompletionResult]::new('--wait-timeout', '--wait-timeout', [CompletionResultType]::ParameterName, 'Longest wait with `--wait`, in seconds')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Directory relative paths are resolved against (default: the first manifest''s)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file for interpolation (default: `.env` in the project directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Enable services of this profile (repeatable; `*` enables all)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format of commands that print data')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Where the project runs: `local` (this engine''s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait until the replicas are ready')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour output (also: NO_COLOR, CI=true)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msctl;kill' {
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'The signal')
            [CompletionResult]::new('--signal', '--signal', [CompletionResultType]::ParameterName, 'The signal')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Directory relative paths are resolved against (default: the first manifest''s)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file for interpolation (default: `.env` in the project directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Enable services of this profile (repeatable; `*` enables all)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format of commands that print data')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Where the project runs: `local` (this engine''s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour output (also: NO_COLOR, CI=true)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msctl;pause' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Directory relative paths are resolved against (default: the first manifest''s)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file for interpolation (default: `.env` in the project directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Enable services of this profile (repeatable; `*` enables all)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format of commands that print data')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Where the project runs: `local` (this engine''s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour output (also: NO_COLOR, CI=true)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msctl;unpause' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Directory relative paths are resolved against (default: the first manifest''s)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file for interpolation (default: `.env` in the project directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Enable services of this profile (repeatable; `*` enables all)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format of commands that print data')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Where the project runs: `local` (this engine''s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour output (also: NO_COLOR, CI=true)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msctl;watch' {
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Longest wait for new replicas to be ready after a rebuild, in seconds')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Manifest file (repeatable; later files override earlier ones)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-name', '--project-name', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Project name (default: `name:` in the manifest, else the directory name)')
            [CompletionResult]::new('--project-directory', '--project-directory', [CompletionResultType]::ParameterName, 'Directory relative paths are resolved against (default: the first manifest''s)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Env file for interpolation (default: `.env` in the project directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Enable services of this profile (repeatable; `*` enables all)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format of commands that print data')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Where the project runs: `local` (this engine''s containers) or `swarm` (services of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)')
            [CompletionResult]::new('--no-up', '--no-up', [CompletionResultType]::ParameterName, 'Do not bring the services up first: watch what already runs')
            [CompletionResult]::new('--no-self-heal', '--no-self-heal', [CompletionResultType]::ParameterName, 'Do not start the control plane when bringing the services up (also: MSCTL_SELF_HEAL=0)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour output (also: NO_COLOR, CI=true)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msctl;help' {
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Check the manifests; print a summary, or every problem with its place')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Print the resolved manifest: merged, interpolated, defaults applied')
            [CompletionResult]::new('up', 'up', [CompletionResultType]::ParameterValue, 'Build what is missing or changed, then create and start replicas until all are ready')
            [CompletionResult]::new('plan', 'plan', [CompletionResultType]::ParameterValue, 'Print what `up` would do, one line per action, changing nothing')
            [CompletionResult]::new('down', 'down', [CompletionResultType]::ParameterValue, 'Stop and remove the project''s containers and networks')
            [CompletionResult]::new('ps', 'ps', [CompletionResultType]::ParameterValue, 'List the project''s replicas with their state and health')
            [CompletionResult]::new('scale', 'scale', [CompletionResultType]::ParameterValue, 'Set the number of replicas of services: SERVICE=N')
            [CompletionResult]::new('logs', 'logs', [CompletionResultType]::ParameterValue, 'Show the logs of services'' replicas, merged in time order')
            [CompletionResult]::new('build', 'build', [CompletionResultType]::ParameterValue, 'Build or rebuild services'' images')
            [CompletionResult]::new('pull', 'pull', [CompletionResultType]::ParameterValue, 'Pull services'' images from their registries')
            [CompletionResult]::new('push', 'push', [CompletionResultType]::ParameterValue, 'Push the images msctl builds to their registries')
            [CompletionResult]::new('restart', 'restart', [CompletionResultType]::ParameterValue, 'Restart services one replica at a time, each ready before the next')
            [CompletionResult]::new('rollback', 'rollback', [CompletionResultType]::ParameterValue, 'Roll a service back to its config before its last completed rollout')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'List a service''s rollouts: when, how they ended, from which image to which')
            [CompletionResult]::new('exec', 'exec', [CompletionResultType]::ParameterValue, 'Run a command in a running replica')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run a one-off command in a new container of a service (dependencies first)')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Remove stopped containers of the services (one-off containers too)')
            [CompletionResult]::new('wait', 'wait', [CompletionResultType]::ParameterValue, 'Wait until the services'' containers stop; exit with the first one''s exit code')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create the services'' replicas without starting them (`start` or `up` does)')
            [CompletionResult]::new('attach', 'attach', [CompletionResultType]::ParameterValue, 'Attach to a replica''s main process: its output, and your input')
            [CompletionResult]::new('cp', 'cp', [CompletionResultType]::ParameterValue, 'Copy files between a service''s containers and this machine')
            [CompletionResult]::new('stats', 'stats', [CompletionResultType]::ParameterValue, 'Live CPU, memory, network and block I/O of each replica')
            [CompletionResult]::new('events', 'events', [CompletionResultType]::ParameterValue, 'Show what happened to projects: replicas that died and were replaced, backoff, scaling')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run the control plane in the foreground: keep projects healthy, serve the HTTP API')
            [CompletionResult]::new('resolver', 'resolver', [CompletionResultType]::ParameterValue, 'Answer readiness-gated service names (DNS) on the networks'' gateways; `up` runs it in a container of its own, one per engine')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Translate the project into another orchestrator''s manifests')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('version', 'version', [CompletionResultType]::ParameterValue, 'Show msctl''s version, the Docker engine''s, and the API version they speak')
            [CompletionResult]::new('top', 'top', [CompletionResultType]::ParameterValue, 'Show the processes running in services'' containers')
            [CompletionResult]::new('port', 'port', [CompletionResultType]::ParameterValue, 'Print the host address a service''s container port is published on')
            [CompletionResult]::new('images', 'images', [CompletionResultType]::ParameterValue, 'List the images services'' containers run')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List the projects with containers on this engine')
            [CompletionResult]::new('stop', 'stop', [CompletionResultType]::ParameterValue, 'Stop services'' replicas, and keep self-heal from starting them until `start`')
            [CompletionResult]::new('start', 'start', [CompletionResultType]::ParameterValue, 'Start services'' stopped replicas again')
            [CompletionResult]::new('kill', 'kill', [CompletionResultType]::ParameterValue, 'Send services'' replicas a signal (SIGKILL: force stop, held like `stop`)')
            [CompletionResult]::new('pause', 'pause', [CompletionResultType]::ParameterValue, 'Freeze services'' running replicas, and keep self-heal off them until `unpause`')
            [CompletionResult]::new('unpause', 'unpause', [CompletionResultType]::ParameterValue, 'Thaw services'' paused replicas')
            [CompletionResult]::new('watch', 'watch', [CompletionResultType]::ParameterValue, 'Bring services up, then rebuild and roll, sync or restart them as their files change')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'msctl;help;validate' {
            break
        }
        'msctl;help;config' {
            break
        }
        'msctl;help;up' {
            break
        }
        'msctl;help;plan' {
            break
        }
        'msctl;help;down' {
            break
        }
        'msctl;help;ps' {
            break
        }
        'msctl;help;scale' {
            break
        }
        'msctl;help;logs' {
            break
        }
        'msctl;help;build' {
            break
        }
        'msctl;help;pull' {
            break
        }
        'msctl;help;push' {
            break
        }
        'msctl;help;restart' {
            break
        }
        'msctl;help;rollback' {
            break
        }
        'msctl;help;history' {
            break
        }
        'msctl;help;exec' {
            break
        }
        'msctl;help;run' {
            break
        }
        'msctl;help;rm' {
            break
        }
        'msctl;help;wait' {
            break
        }
        'msctl;help;create' {
            break
        }
        'msctl;help;attach' {
            break
        }
        'msctl;help;cp' {
            break
        }
        'msctl;help;stats' {
            break
        }
        'msctl;help;events' {
            break
        }
        'msctl;help;serve' {
            break
        }
        'msctl;help;resolver' {
            break
        }
        'msctl;help;export' {
            break
        }
        'msctl;help;completions' {
            break
        }
        'msctl;help;version' {
            break
        }
        'msctl;help;top' {
            break
        }
        'msctl;help;port' {
            break
        }
        'msctl;help;images' {
            break
        }
        'msctl;help;ls' {
            break
        }
        'msctl;help;stop' {
            break
        }
        'msctl;help;start' {
            break
        }
        'msctl;help;kill' {
            break
        }
        'msctl;help;pause' {
            break
        }
        'msctl;help;unpause' {
            break
        }
        'msctl;help;watch' {
            break
        }
        'msctl;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
