//! The command line before clap reads it: a command's short flag that a global flag
//! shadows, rewritten to its long form.

/// Short flags of a command that mean something else than the global flag with the same
/// letter, as in Compose: `msctl -f compose.yaml logs -f` reads a file, then follows.
/// clap cannot give one letter to a global flag and a command's flag, so the command's
/// one is long-only in the definitions above and its letter is rewritten here.
const SHADOWING_SHORTS: &[(&str, char, &str)] = &[
    ("logs", 'f', "--follow"),
    ("events", 'f', "--follow"),
    ("down", 'v', "--volumes"),
    ("rm", 'f', "--force"),
    ("rm", 'v', "--volumes"),
    ("run", 'v', "--volume"),
    ("run", 'p', "--publish"),
];

/// Commands whose arguments after the first positional one are a command line of their
/// own (`msctl run web ls -v`): nothing there is rewritten. Their options that take a
/// value are listed, so the value is not taken for the positional.
const COMMAND_LINE_AFTER: &[(&str, &[&str])] = &[(
    "run",
    &[
        "-e",
        "--env",
        "--env-from-file",
        "-l",
        "--label",
        "-v",
        "--volume",
        "-p",
        "--publish",
        "--name",
        "--entrypoint",
        "-u",
        "--user",
        "-w",
        "--workdir",
        "--cap-add",
        "--cap-drop",
        "--pull",
        "--timeout",
    ],
)];

/// Global options that take a value, which must be skipped to find the command.
const GLOBAL_OPTIONS_WITH_VALUE: &[&str] = &[
    "-f",
    "--file",
    "-p",
    "--project-name",
    "--project",
    "--project-directory",
    "--env-file",
    "--profile",
    "--format",
];

/// Rewrites a command's short flags that a global flag shadows (see
/// [`SHADOWING_SHORTS`]) into their long form, before clap parses the arguments.
pub fn normalize_args<I, T>(args: I) -> Vec<std::ffi::OsString>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString>,
{
    let mut args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
    let mut index = 1;
    // Find the command: the first argument that is neither an option nor its value.
    let command = loop {
        let Some(arg) = args.get(index).and_then(|arg| arg.to_str()) else {
            return args;
        };
        if arg == "--" {
            return args;
        }
        if !arg.starts_with('-') {
            break arg.to_string();
        }
        index += if GLOBAL_OPTIONS_WITH_VALUE.contains(&arg) {
            2
        } else {
            1
        };
    };
    let shadowed: Vec<(char, &str)> = SHADOWING_SHORTS
        .iter()
        .filter(|(name, _, _)| *name == command)
        .map(|(_, short, long)| (*short, *long))
        .collect();
    if shadowed.is_empty() {
        return args;
    }
    let with_value = COMMAND_LINE_AFTER
        .iter()
        .find(|(name, _)| *name == command)
        .map(|(_, options)| *options);
    let mut rewritten = args.drain(..=index).collect::<Vec<_>>();
    let mut rest = args.into_iter();
    let mut value_next = false;
    for arg in rest.by_ref() {
        let Some(text) = arg.to_str() else {
            rewritten.push(arg);
            continue;
        };
        if text == "--" {
            rewritten.push(arg);
            break;
        }
        if let Some(options) = with_value {
            if std::mem::take(&mut value_next) {
                rewritten.push(arg);
                continue;
            }
            if !text.starts_with('-') {
                // The first positional: a command line of its own follows.
                rewritten.push(arg);
                break;
            }
            value_next = options.contains(&text);
        }
        // `-f`, or a cluster of boolean shorts like `-tf`.
        let is_cluster = text.len() > 1
            && text.starts_with('-')
            && !text.starts_with("--")
            && text[1..].chars().all(|c| c.is_ascii_alphabetic());
        if is_cluster
            && text[1..]
                .chars()
                .any(|c| shadowed.iter().any(|(s, _)| *s == c))
        {
            let mut others = String::new();
            for c in text[1..].chars() {
                match shadowed.iter().find(|(short, _)| *short == c) {
                    Some((_, long)) => rewritten.push((*long).into()),
                    None => others.push(c),
                }
            }
            if !others.is_empty() {
                rewritten.push(format!("-{others}").into());
            }
        } else {
            rewritten.push(arg);
        }
    }
    rewritten.extend(rest);
    rewritten
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn normalized(args: &[&str]) -> Vec<String> {
        normalize_args(args.iter().copied())
            .into_iter()
            .map(|arg| arg.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn run_and_rm_take_their_compose_letters_but_not_inside_the_command_they_run() {
        assert_eq!(
            normalized(&[
                "msctl", "-p", "shop", "run", "-p", "80:80", "-v", "data:/d", "-e", "-v", "web",
                "ls", "-v", "-p"
            ]),
            [
                "msctl",
                "-p",
                "shop",
                "run",
                "--publish",
                "80:80",
                "--volume",
                "data:/d",
                "-e",
                "-v",
                "web",
                "ls",
                "-v",
                "-p"
            ]
        );
        assert_eq!(
            normalized(&["msctl", "rm", "-fsv", "web"]),
            ["msctl", "rm", "--force", "--volumes", "-s", "web"]
        );
    }

    #[test]
    fn a_commands_short_flag_wins_over_the_global_one_after_the_command() {
        assert_eq!(
            normalized(&["msctl", "-f", "a.yaml", "logs", "-f", "web"]),
            ["msctl", "-f", "a.yaml", "logs", "--follow", "web"]
        );
        assert_eq!(
            normalized(&["msctl", "logs", "-tf"]),
            ["msctl", "logs", "--follow", "-t"]
        );
        // Other commands keep `-f` as the global file flag.
        assert_eq!(
            normalized(&["msctl", "up", "-f", "b.yaml"]),
            ["msctl", "up", "-f", "b.yaml"]
        );
        // A value of a global option is not the command.
        assert_eq!(
            normalized(&["msctl", "-p", "logs", "ps", "-f", "x"]),
            ["msctl", "-p", "logs", "ps", "-f", "x"]
        );
    }

    #[test]
    fn the_shadowed_flags_parse_as_the_commands_own() {
        let cli = Cli::try_parse_from(normalize_args(["msctl", "-f", "a.yaml", "logs", "-f"]))
            .expect("parses");
        assert_eq!(cli.global.files, vec![PathBuf::from("a.yaml")]);
        match cli.command {
            Command::Logs(args) => assert!(args.follow),
            other => panic!("expected logs, got {other:?}"),
        }
    }
}
