
use builtin;
use str;

set edit:completion:arg-completer[msctl] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'msctl'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'msctl'= {
            cand -f 'Manifest file (repeatable; later files override earlier ones)'
            cand --file 'Manifest file (repeatable; later files override earlier ones)'
            cand -p 'Project name (default: `name:` in the manifest, else the directory name)'
            cand --project-name 'Project name (default: `name:` in the manifest, else the directory name)'
            cand --project-directory 'Directory relative paths are resolved against (default: the first manifest''s)'
            cand --env-file 'Env file for interpolation (default: `.env` in the project directory)'
            cand --profile 'Enable services of this profile (repeatable; `*` enables all)'
            cand --format 'Output format of commands that print data'
            cand -q 'Print only errors on stderr'
            cand --quiet 'Print only errors on stderr'
            cand -v 'More detail on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More detail on stderr (-v info, -vv debug, -vvv trace)'
            cand --no-color 'Never colour output (also: NO_COLOR, CI=true)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand validate 'Check the manifests; print a summary, or every problem with its place'
            cand config 'Print the resolved manifest: merged, interpolated, defaults applied'
            cand up 'Build what is missing or changed, then create and start replicas until all are ready'
            cand down 'Stop and remove the project''s containers and networks'
            cand ps 'List the project''s replicas with their state and health'
            cand scale 'Set the number of replicas of services: SERVICE=N'
            cand logs 'Show the logs of services'' replicas, merged in time order'
            cand build 'Build or rebuild services'' images'
            cand restart 'Restart services one replica at a time, each ready before the next'
            cand exec 'Run a command in a running replica'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'msctl;validate'= {
            cand -f 'Manifest file (repeatable; later files override earlier ones)'
            cand --file 'Manifest file (repeatable; later files override earlier ones)'
            cand -p 'Project name (default: `name:` in the manifest, else the directory name)'
            cand --project-name 'Project name (default: `name:` in the manifest, else the directory name)'
            cand --project-directory 'Directory relative paths are resolved against (default: the first manifest''s)'
            cand --env-file 'Env file for interpolation (default: `.env` in the project directory)'
            cand --profile 'Enable services of this profile (repeatable; `*` enables all)'
            cand --format 'Output format of commands that print data'
            cand --strict 'Treat every warning (risky settings, ignored keys, unset variables) as an error'
            cand -q 'Print only errors on stderr'
            cand --quiet 'Print only errors on stderr'
            cand -v 'More detail on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More detail on stderr (-v info, -vv debug, -vvv trace)'
            cand --no-color 'Never colour output (also: NO_COLOR, CI=true)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'msctl;config'= {
            cand --hash 'Print each service''s config hash (`*` or a comma-separated list of services)'
            cand -f 'Manifest file (repeatable; later files override earlier ones)'
            cand --file 'Manifest file (repeatable; later files override earlier ones)'
            cand -p 'Project name (default: `name:` in the manifest, else the directory name)'
            cand --project-name 'Project name (default: `name:` in the manifest, else the directory name)'
            cand --project-directory 'Directory relative paths are resolved against (default: the first manifest''s)'
            cand --env-file 'Env file for interpolation (default: `.env` in the project directory)'
            cand --profile 'Enable services of this profile (repeatable; `*` enables all)'
            cand --format 'Output format of commands that print data'
            cand --services 'Print only the service names, one per line'
            cand --volumes 'Print only the volume names, one per line'
            cand --networks 'Print only the networks names, one per line'
            cand --profiles 'Print only the profile names, one per line'
            cand --images 'Print only the images of the services, one per line'
            cand -q 'Print only errors on stderr'
            cand --quiet 'Print only errors on stderr'
            cand -v 'More detail on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More detail on stderr (-v info, -vv debug, -vvv trace)'
            cand --no-color 'Never colour output (also: NO_COLOR, CI=true)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'msctl;up'= {
            cand --timeout 'Longest wait for every replica to be ready, in seconds'
            cand -f 'Manifest file (repeatable; later files override earlier ones)'
            cand --file 'Manifest file (repeatable; later files override earlier ones)'
            cand -p 'Project name (default: `name:` in the manifest, else the directory name)'
            cand --project-name 'Project name (default: `name:` in the manifest, else the directory name)'
            cand --project-directory 'Directory relative paths are resolved against (default: the first manifest''s)'
            cand --env-file 'Env file for interpolation (default: `.env` in the project directory)'
            cand --profile 'Enable services of this profile (repeatable; `*` enables all)'
            cand --format 'Output format of commands that print data'
            cand -d 'Return once replicas are started, without waiting for them to be ready'
            cand --detach 'Return once replicas are started, without waiting for them to be ready'
            cand --remove-orphans 'Also remove containers of services no longer in the manifest'
            cand --force-recreate 'Recreate every replica, even unchanged ones'
            cand --no-recreate 'Never recreate existing replicas, even changed ones'
            cand --no-build 'Do not build images, even missing ones'
            cand --build 'Build images before starting, even unchanged ones'
            cand --reset-scale 'Forget counts set by `scale`: use the manifest''s replicas again'
            cand -q 'Print only errors on stderr'
            cand --quiet 'Print only errors on stderr'
            cand -v 'More detail on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More detail on stderr (-v info, -vv debug, -vvv trace)'
            cand --no-color 'Never colour output (also: NO_COLOR, CI=true)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'msctl;down'= {
            cand --rmi 'Also remove images: `local` (built by msctl) or `all`'
            cand -t 'Seconds to wait for each container to stop before killing it (default: its stop_grace_period)'
            cand --timeout 'Seconds to wait for each container to stop before killing it (default: its stop_grace_period)'
            cand -f 'Manifest file (repeatable; later files override earlier ones)'
            cand --file 'Manifest file (repeatable; later files override earlier ones)'
            cand -p 'Project name (default: `name:` in the manifest, else the directory name)'
            cand --project-name 'Project name (default: `name:` in the manifest, else the directory name)'
            cand --project-directory 'Directory relative paths are resolved against (default: the first manifest''s)'
            cand --env-file 'Env file for interpolation (default: `.env` in the project directory)'
            cand --profile 'Enable services of this profile (repeatable; `*` enables all)'
            cand --format 'Output format of commands that print data'
            cand --volumes 'Also remove the project''s named volumes (data is lost); `-v` after `down` too'
            cand --remove-orphans 'Also remove containers of services no longer in the manifest'
            cand -q 'Print only errors on stderr'
            cand --quiet 'Print only errors on stderr'
            cand -v 'More detail on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More detail on stderr (-v info, -vv debug, -vvv trace)'
            cand --no-color 'Never colour output (also: NO_COLOR, CI=true)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'msctl;ps'= {
            cand -f 'Manifest file (repeatable; later files override earlier ones)'
            cand --file 'Manifest file (repeatable; later files override earlier ones)'
            cand -p 'Project name (default: `name:` in the manifest, else the directory name)'
            cand --project-name 'Project name (default: `name:` in the manifest, else the directory name)'
            cand --project-directory 'Directory relative paths are resolved against (default: the first manifest''s)'
            cand --env-file 'Env file for interpolation (default: `.env` in the project directory)'
            cand --profile 'Enable services of this profile (repeatable; `*` enables all)'
            cand --format 'Output format of commands that print data'
            cand -a 'Also show stopped replicas'
            cand --all 'Also show stopped replicas'
            cand --ids 'Only print container ids (also: the global `-q`, as in Compose)'
            cand -q 'Print only errors on stderr'
            cand --quiet 'Print only errors on stderr'
            cand -v 'More detail on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More detail on stderr (-v info, -vv debug, -vvv trace)'
            cand --no-color 'Never colour output (also: NO_COLOR, CI=true)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'msctl;scale'= {
            cand --timeout 'Longest wait for new replicas to be ready, in seconds'
            cand -f 'Manifest file (repeatable; later files override earlier ones)'
            cand --file 'Manifest file (repeatable; later files override earlier ones)'
            cand -p 'Project name (default: `name:` in the manifest, else the directory name)'
            cand --project-name 'Project name (default: `name:` in the manifest, else the directory name)'
            cand --project-directory 'Directory relative paths are resolved against (default: the first manifest''s)'
            cand --env-file 'Env file for interpolation (default: `.env` in the project directory)'
            cand --profile 'Enable services of this profile (repeatable; `*` enables all)'
            cand --format 'Output format of commands that print data'
            cand --no-wait 'Return once replicas are started, without waiting for them to be ready'
            cand -q 'Print only errors on stderr'
            cand --quiet 'Print only errors on stderr'
            cand -v 'More detail on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More detail on stderr (-v info, -vv debug, -vvv trace)'
            cand --no-color 'Never colour output (also: NO_COLOR, CI=true)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'msctl;logs'= {
            cand --tail 'Lines to show from the end of each replica''s log'
            cand --since 'Only lines since this time (RFC 3339, or a duration like 10m ago)'
            cand --until 'Only lines before this time (RFC 3339, or a duration like 10m ago)'
            cand -f 'Manifest file (repeatable; later files override earlier ones)'
            cand --file 'Manifest file (repeatable; later files override earlier ones)'
            cand -p 'Project name (default: `name:` in the manifest, else the directory name)'
            cand --project-name 'Project name (default: `name:` in the manifest, else the directory name)'
            cand --project-directory 'Directory relative paths are resolved against (default: the first manifest''s)'
            cand --env-file 'Env file for interpolation (default: `.env` in the project directory)'
            cand --profile 'Enable services of this profile (repeatable; `*` enables all)'
            cand --format 'Output format of commands that print data'
            cand --follow 'Follow new lines, and replicas that start later (`-f` after `logs`)'
            cand -t 'Show timestamps'
            cand --timestamps 'Show timestamps'
            cand --no-prefix 'Do not prefix lines with `service-n |`'
            cand -q 'Print only errors on stderr'
            cand --quiet 'Print only errors on stderr'
            cand -v 'More detail on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More detail on stderr (-v info, -vv debug, -vvv trace)'
            cand --no-color 'Never colour output (also: NO_COLOR, CI=true)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'msctl;build'= {
            cand --pull 'Pull policy for base images: only `never` is possible without a registry'
            cand -f 'Manifest file (repeatable; later files override earlier ones)'
            cand --file 'Manifest file (repeatable; later files override earlier ones)'
            cand -p 'Project name (default: `name:` in the manifest, else the directory name)'
            cand --project-name 'Project name (default: `name:` in the manifest, else the directory name)'
            cand --project-directory 'Directory relative paths are resolved against (default: the first manifest''s)'
            cand --env-file 'Env file for interpolation (default: `.env` in the project directory)'
            cand --profile 'Enable services of this profile (repeatable; `*` enables all)'
            cand --format 'Output format of commands that print data'
            cand --no-cache 'Build without the engine''s layer cache'
            cand -q 'Print only errors on stderr'
            cand --quiet 'Print only errors on stderr'
            cand -v 'More detail on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More detail on stderr (-v info, -vv debug, -vvv trace)'
            cand --no-color 'Never colour output (also: NO_COLOR, CI=true)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'msctl;restart'= {
            cand -t 'Seconds to wait for each replica to stop before killing it'
            cand --timeout 'Seconds to wait for each replica to stop before killing it'
            cand --ready-timeout 'Longest wait for each restarted replica to be ready, in seconds'
            cand -f 'Manifest file (repeatable; later files override earlier ones)'
            cand --file 'Manifest file (repeatable; later files override earlier ones)'
            cand -p 'Project name (default: `name:` in the manifest, else the directory name)'
            cand --project-name 'Project name (default: `name:` in the manifest, else the directory name)'
            cand --project-directory 'Directory relative paths are resolved against (default: the first manifest''s)'
            cand --env-file 'Env file for interpolation (default: `.env` in the project directory)'
            cand --profile 'Enable services of this profile (repeatable; `*` enables all)'
            cand --format 'Output format of commands that print data'
            cand -q 'Print only errors on stderr'
            cand --quiet 'Print only errors on stderr'
            cand -v 'More detail on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More detail on stderr (-v info, -vv debug, -vvv trace)'
            cand --no-color 'Never colour output (also: NO_COLOR, CI=true)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'msctl;exec'= {
            cand --index 'Replica number (default: the first ready replica)'
            cand -e 'Environment variables for the command'
            cand --env 'Environment variables for the command'
            cand -u 'Run as this user'
            cand --user 'Run as this user'
            cand -w 'Working directory inside the container'
            cand --workdir 'Working directory inside the container'
            cand -f 'Manifest file (repeatable; later files override earlier ones)'
            cand --file 'Manifest file (repeatable; later files override earlier ones)'
            cand -p 'Project name (default: `name:` in the manifest, else the directory name)'
            cand --project-name 'Project name (default: `name:` in the manifest, else the directory name)'
            cand --project-directory 'Directory relative paths are resolved against (default: the first manifest''s)'
            cand --env-file 'Env file for interpolation (default: `.env` in the project directory)'
            cand --profile 'Enable services of this profile (repeatable; `*` enables all)'
            cand --format 'Output format of commands that print data'
            cand -T 'Do not allocate a TTY, even when stdin is one'
            cand --no-tty 'Do not allocate a TTY, even when stdin is one'
            cand -q 'Print only errors on stderr'
            cand --quiet 'Print only errors on stderr'
            cand -v 'More detail on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More detail on stderr (-v info, -vv debug, -vvv trace)'
            cand --no-color 'Never colour output (also: NO_COLOR, CI=true)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'msctl;completions'= {
            cand -f 'Manifest file (repeatable; later files override earlier ones)'
            cand --file 'Manifest file (repeatable; later files override earlier ones)'
            cand -p 'Project name (default: `name:` in the manifest, else the directory name)'
            cand --project-name 'Project name (default: `name:` in the manifest, else the directory name)'
            cand --project-directory 'Directory relative paths are resolved against (default: the first manifest''s)'
            cand --env-file 'Env file for interpolation (default: `.env` in the project directory)'
            cand --profile 'Enable services of this profile (repeatable; `*` enables all)'
            cand --format 'Output format of commands that print data'
            cand -q 'Print only errors on stderr'
            cand --quiet 'Print only errors on stderr'
            cand -v 'More detail on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More detail on stderr (-v info, -vv debug, -vvv trace)'
            cand --no-color 'Never colour output (also: NO_COLOR, CI=true)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'msctl;help'= {
            cand validate 'Check the manifests; print a summary, or every problem with its place'
            cand config 'Print the resolved manifest: merged, interpolated, defaults applied'
            cand up 'Build what is missing or changed, then create and start replicas until all are ready'
            cand down 'Stop and remove the project''s containers and networks'
            cand ps 'List the project''s replicas with their state and health'
            cand scale 'Set the number of replicas of services: SERVICE=N'
            cand logs 'Show the logs of services'' replicas, merged in time order'
            cand build 'Build or rebuild services'' images'
            cand restart 'Restart services one replica at a time, each ready before the next'
            cand exec 'Run a command in a running replica'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'msctl;help;validate'= {
        }
        &'msctl;help;config'= {
        }
        &'msctl;help;up'= {
        }
        &'msctl;help;down'= {
        }
        &'msctl;help;ps'= {
        }
        &'msctl;help;scale'= {
        }
        &'msctl;help;logs'= {
        }
        &'msctl;help;build'= {
        }
        &'msctl;help;restart'= {
        }
        &'msctl;help;exec'= {
        }
        &'msctl;help;completions'= {
        }
        &'msctl;help;help'= {
        }
    ]
    $completions[$command]
}
