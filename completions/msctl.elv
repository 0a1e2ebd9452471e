
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
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'msctl;help;validate'= {
        }
        &'msctl;help;config'= {
        }
        &'msctl;help;completions'= {
        }
        &'msctl;help;help'= {
        }
    ]
    $completions[$command]
}
