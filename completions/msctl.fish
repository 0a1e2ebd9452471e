# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_msctl_global_optspecs
    string join \n f/file= p/project-name= project-directory= env-file= profile= format= q/quiet v/verbose no-color h/help V/version
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
complete -c msctl -n "__fish_msctl_needs_command" -s p -l project-name -d 'Project name (default: `name:` in the manifest, else the directory name)' -r
complete -c msctl -n "__fish_msctl_needs_command" -l project-directory -d 'Directory relative paths are resolved against (default: the first manifest\'s)' -r -F
complete -c msctl -n "__fish_msctl_needs_command" -l env-file -d 'Env file for interpolation (default: `.env` in the project directory)' -r -F
complete -c msctl -n "__fish_msctl_needs_command" -l profile -d 'Enable services of this profile (repeatable; `*` enables all)' -r
complete -c msctl -n "__fish_msctl_needs_command" -l format -d 'Output format of commands that print data' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c msctl -n "__fish_msctl_needs_command" -s q -l quiet -d 'Print only errors on stderr'
complete -c msctl -n "__fish_msctl_needs_command" -s v -l verbose -d 'More detail on stderr (-v info, -vv debug, -vvv trace)'
complete -c msctl -n "__fish_msctl_needs_command" -l no-color -d 'Never colour output (also: NO_COLOR, CI=true)'
complete -c msctl -n "__fish_msctl_needs_command" -s h -l help -d 'Print help'
complete -c msctl -n "__fish_msctl_needs_command" -s V -l version -d 'Print version'
complete -c msctl -n "__fish_msctl_needs_command" -f -a "validate" -d 'Check the manifests; print a summary, or every problem with its place'
complete -c msctl -n "__fish_msctl_needs_command" -f -a "config" -d 'Print the resolved manifest: merged, interpolated, defaults applied'
complete -c msctl -n "__fish_msctl_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c msctl -n "__fish_msctl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c msctl -n "__fish_msctl_using_subcommand validate" -s f -l file -d 'Manifest file (repeatable; later files override earlier ones)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand validate" -s p -l project-name -d 'Project name (default: `name:` in the manifest, else the directory name)' -r
complete -c msctl -n "__fish_msctl_using_subcommand validate" -l project-directory -d 'Directory relative paths are resolved against (default: the first manifest\'s)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand validate" -l env-file -d 'Env file for interpolation (default: `.env` in the project directory)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand validate" -l profile -d 'Enable services of this profile (repeatable; `*` enables all)' -r
complete -c msctl -n "__fish_msctl_using_subcommand validate" -l format -d 'Output format of commands that print data' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c msctl -n "__fish_msctl_using_subcommand validate" -s q -l quiet -d 'Print only errors on stderr'
complete -c msctl -n "__fish_msctl_using_subcommand validate" -s v -l verbose -d 'More detail on stderr (-v info, -vv debug, -vvv trace)'
complete -c msctl -n "__fish_msctl_using_subcommand validate" -l no-color -d 'Never colour output (also: NO_COLOR, CI=true)'
complete -c msctl -n "__fish_msctl_using_subcommand validate" -s h -l help -d 'Print help'
complete -c msctl -n "__fish_msctl_using_subcommand validate" -s V -l version -d 'Print version'
complete -c msctl -n "__fish_msctl_using_subcommand config" -l hash -d 'Print each service\'s config hash (`*` or a comma-separated list of services)' -r
complete -c msctl -n "__fish_msctl_using_subcommand config" -s f -l file -d 'Manifest file (repeatable; later files override earlier ones)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand config" -s p -l project-name -d 'Project name (default: `name:` in the manifest, else the directory name)' -r
complete -c msctl -n "__fish_msctl_using_subcommand config" -l project-directory -d 'Directory relative paths are resolved against (default: the first manifest\'s)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand config" -l env-file -d 'Env file for interpolation (default: `.env` in the project directory)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand config" -l profile -d 'Enable services of this profile (repeatable; `*` enables all)' -r
complete -c msctl -n "__fish_msctl_using_subcommand config" -l format -d 'Output format of commands that print data' -r -f -a "table\t''
json\t''
yaml\t''"
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
complete -c msctl -n "__fish_msctl_using_subcommand completions" -s f -l file -d 'Manifest file (repeatable; later files override earlier ones)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand completions" -s p -l project-name -d 'Project name (default: `name:` in the manifest, else the directory name)' -r
complete -c msctl -n "__fish_msctl_using_subcommand completions" -l project-directory -d 'Directory relative paths are resolved against (default: the first manifest\'s)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand completions" -l env-file -d 'Env file for interpolation (default: `.env` in the project directory)' -r -F
complete -c msctl -n "__fish_msctl_using_subcommand completions" -l profile -d 'Enable services of this profile (repeatable; `*` enables all)' -r
complete -c msctl -n "__fish_msctl_using_subcommand completions" -l format -d 'Output format of commands that print data' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c msctl -n "__fish_msctl_using_subcommand completions" -s q -l quiet -d 'Print only errors on stderr'
complete -c msctl -n "__fish_msctl_using_subcommand completions" -s v -l verbose -d 'More detail on stderr (-v info, -vv debug, -vvv trace)'
complete -c msctl -n "__fish_msctl_using_subcommand completions" -l no-color -d 'Never colour output (also: NO_COLOR, CI=true)'
complete -c msctl -n "__fish_msctl_using_subcommand completions" -s h -l help -d 'Print help'
complete -c msctl -n "__fish_msctl_using_subcommand completions" -s V -l version -d 'Print version'
complete -c msctl -n "__fish_msctl_using_subcommand help; and not __fish_seen_subcommand_from validate config completions help" -f -a "validate" -d 'Check the manifests; print a summary, or every problem with its place'
complete -c msctl -n "__fish_msctl_using_subcommand help; and not __fish_seen_subcommand_from validate config completions help" -f -a "config" -d 'Print the resolved manifest: merged, interpolated, defaults applied'
complete -c msctl -n "__fish_msctl_using_subcommand help; and not __fish_seen_subcommand_from validate config completions help" -f -a "completions" -d 'Print a shell completion script'
complete -c msctl -n "__fish_msctl_using_subcommand help; and not __fish_seen_subcommand_from validate config completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
