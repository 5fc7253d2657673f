//! Splitting a console line into words the way a POSIX shell would before it runs
//! `ipvsadm`: blanks separate words, `'…'` is literal, `"…"` keeps blanks and honours
//! `\"`, `\\`, `\$` and `` \` ``, a backslash outside quotes escapes the next character,
//! and a word starting with `#` begins a comment. No expansion of any kind is done.

/// Why a line could not be split.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WordsError {
    /// Byte offset of the opening quote that is never closed.
    pub offset: usize,
    pub quote: char,
}

impl std::fmt::Display for WordsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "unexpected end of line while looking for matching `{}' (opened at column {})",
            self.quote,
            self.offset + 1
        )
    }
}

/// Splits one line into shell words.
pub fn split_words(line: &str) -> Result<Vec<String>, WordsError> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            ' ' | '\t' | '\r' | '\n' => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '#' if !in_word => break,
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some((_, '\'')) => break,
                        Some((_, ch)) => cur.push(ch),
                        None => {
                            return Err(WordsError {
                                offset: i,
                                quote: '\'',
                            })
                        }
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some((_, '"')) => break,
                        Some((_, '\\')) => match chars.peek() {
                            Some(&(_, n)) if matches!(n, '"' | '\\' | '$' | '`') => {
                                cur.push(n);
                                chars.next();
                            }
                            Some(&(_, '\n')) => {
                                chars.next();
                            }
                            _ => cur.push('\\'),
                        },
                        Some((_, ch)) => cur.push(ch),
                        None => {
                            return Err(WordsError {
                                offset: i,
                                quote: '"',
                            })
                        }
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some((_, '\n')) => {}
                    Some((_, n)) => cur.push(n),
                    None => {}
                }
            }
            _ => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(
            split_words("ipvsadm -A -t '[2001:db8::1]:80'").unwrap(),
            ["ipvsadm", "-A", "-t", "[2001:db8::1]:80"]
        );
        assert_eq!(
            split_words(r#"a "b c" d\ e '' # comment"#).unwrap(),
            ["a", "b c", "d e", ""]
        );
        assert_eq!(split_words(r#""a\"b\x""#).unwrap(), [r#"a"b\x"#]);
        assert_eq!(split_words("a#b").unwrap(), ["a#b"]);
        assert!(split_words("-t 'x").is_err());
        assert!(split_words("-t \"x").is_err());
        assert_eq!(split_words("   ").unwrap(), Vec::<String>::new());
    }
}
