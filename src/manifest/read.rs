//! The files the loader reads (manifests, included and extended files, env files), read
//! no further than a limit: a file that is far too big is refused by its size, before its
//! text is in memory.

use std::io::Read;
use std::path::Path;

/// A file's text, or its size when it is over the limit.
#[derive(Debug)]
pub enum Bounded {
    Text(String),
    TooBig { bytes: u64 },
}

/// Reads `path` as UTF-8 text when it has at most `limit` bytes.
pub fn read_bounded(path: &Path, limit: usize) -> std::io::Result<Bounded> {
    let file = std::fs::File::open(path)?;
    let limit = limit as u64;
    // A regular file says its size; a pipe or a /proc file says 0 and is read up to the
    // limit.
    let size = file.metadata()?.len();
    if size > limit {
        return Ok(Bounded::TooBig { bytes: size });
    }
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Ok(Bounded::TooBig {
            bytes: bytes.len() as u64,
        });
    }
    String::from_utf8(bytes)
        .map(Bounded::Text)
        .map_err(|err| std::io::Error::new(std::io::ErrorKind::InvalidData, err))
}

/// [`read_bounded`] with a file over the limit as an error saying so: what
/// `std::fs::read_to_string` is for files of any size.
pub fn read_text(path: &Path, limit: usize) -> std::io::Result<String> {
    match read_bounded(path, limit)? {
        Bounded::Text(text) => Ok(text),
        Bounded::TooBig { bytes } => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("the file is {bytes} bytes, over the limit of {limit}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_over_the_limit_is_refused_by_its_size() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("f");
        std::fs::write(&path, "0123456789").expect("write");
        assert!(matches!(read_bounded(&path, 10), Ok(Bounded::Text(t)) if t == "0123456789"));
        assert!(matches!(
            read_bounded(&path, 9),
            Ok(Bounded::TooBig { bytes: 10 })
        ));
        std::fs::write(&path, [0xff, 0xfe]).expect("write");
        assert!(read_bounded(&path, 10).is_err());
    }
}
