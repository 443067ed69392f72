//! The repo's `Dockerfile` as the container tests read it: instructions per stage, with line
//! continuations joined and comments dropped, and the few argument shapes the file uses (exec
//! form, `NAME=value`, `--option=value`). Only what this project's file needs, not all of
//! Dockerfile syntax: an instruction it cannot read fails the test instead of being guessed.

use std::path::Path;

/// One instruction: its keyword upper-cased and its arguments as written.
#[derive(Debug, Clone)]
pub struct Instruction {
    pub keyword: String,
    pub args: String,
}

/// The stages in order, each the instructions from its `FROM` on.
pub struct Dockerfile {
    pub stages: Vec<Vec<Instruction>>,
}

impl Dockerfile {
    pub fn read() -> Dockerfile {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("Dockerfile");
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        Dockerfile::parse(&text)
    }

    pub fn parse(text: &str) -> Dockerfile {
        let mut stages: Vec<Vec<Instruction>> = Vec::new();
        let mut pending = String::new();
        for line in text.lines() {
            let trimmed = line.trim();
            if trimmed.starts_with('#') || trimmed.is_empty() {
                continue;
            }
            match trimmed.strip_suffix('\\') {
                Some(start) => {
                    pending.push_str(start);
                    pending.push(' ');
                }
                None => {
                    pending.push_str(trimmed);
                    let (keyword, args) = pending.split_once(' ').unwrap_or((&pending, ""));
                    let instruction = Instruction {
                        keyword: keyword.to_ascii_uppercase(),
                        args: args.trim().to_string(),
                    };
                    if instruction.keyword == "FROM" {
                        stages.push(Vec::new());
                    }
                    stages
                        .last_mut()
                        .expect("the Dockerfile starts with FROM")
                        .push(instruction);
                    pending.clear();
                }
            }
        }
        Dockerfile { stages }
    }

    /// The image that ships: the last stage.
    pub fn runtime(&self) -> &[Instruction] {
        self.stages.last().expect("a stage")
    }

    /// The arguments of every `keyword` instruction of the last stage.
    pub fn all(&self, keyword: &str) -> Vec<&str> {
        self.runtime()
            .iter()
            .filter(|i| i.keyword == keyword)
            .map(|i| i.args.as_str())
            .collect()
    }

    /// The arguments of the last stage's one `keyword` instruction.
    #[track_caller]
    pub fn one(&self, keyword: &str) -> &str {
        match self.all(keyword).as_slice() {
            [args] => args,
            found => panic!("one {keyword} in the last stage, found {found:?}"),
        }
    }

    /// The last stage's `ENV NAME=value` pairs.
    pub fn env(&self) -> Vec<(String, String)> {
        self.all("ENV")
            .into_iter()
            .flat_map(|args| args.split_whitespace())
            .map(|pair| {
                let (name, value) = pair
                    .split_once('=')
                    .unwrap_or_else(|| panic!("ENV {pair}: only NAME=value is read"));
                (name.to_string(), value.trim_matches('"').to_string())
            })
            .collect()
    }

    /// Where the last stage copies `source` (`COPY [--options] source destination`), and the
    /// options.
    #[track_caller]
    pub fn copy_of(&self, source: &str) -> (String, Vec<String>) {
        let found: Vec<_> = self
            .all("COPY")
            .into_iter()
            .filter_map(|args| {
                let (options, paths) = split_options(args);
                match paths.as_slice() {
                    [from, to] if from == source => Some((to.clone(), options)),
                    _ => None,
                }
            })
            .collect();
        match found.as_slice() {
            [one] => one.clone(),
            _ => panic!("one COPY of {source} in the last stage: {found:?}"),
        }
    }
}

/// Exec form: a JSON array of strings.
#[track_caller]
pub fn exec_form(args: &str) -> Vec<String> {
    serde_json::from_str(args).unwrap_or_else(|e| panic!("not exec form ({e}): {args}"))
}

/// Leading `--name=value` words, and the rest.
pub fn split_options(args: &str) -> (Vec<String>, Vec<String>) {
    let words: Vec<String> = args.split_whitespace().map(String::from).collect();
    let cut = words
        .iter()
        .position(|w| !w.starts_with("--"))
        .unwrap_or(words.len());
    (words[..cut].to_vec(), words[cut..].to_vec())
}

/// `HEALTHCHECK [--options] CMD [exec form]`: the options and the command.
#[track_caller]
pub fn healthcheck(args: &str) -> (Vec<String>, Vec<String>) {
    let (options, _) = split_options(args);
    let command = args
        .split_once("CMD ")
        .map(|(_, command)| exec_form(command.trim()))
        .unwrap_or_else(|| panic!("HEALTHCHECK without CMD: {args}"));
    (options, command)
}
