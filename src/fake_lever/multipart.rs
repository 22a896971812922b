//! Reads the one file part of a `multipart/form-data` upload, as Lever's file endpoint
//! takes it: the part named `file`, with its file name and media type.

use super::error::ApiError;

/// The uploaded file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UploadedPart {
    pub(crate) file_name: String,
    pub(crate) content_type: Option<String>,
    pub(crate) bytes: Vec<u8>,
}

/// The part named `field` of a body whose `Content-Type` is `content_type`.
pub(crate) fn file_part(
    content_type: &str,
    body: &[u8],
    field: &str,
) -> Result<UploadedPart, ApiError> {
    let bad = |m: &str| ApiError::BadRequest(format!("multipart body: {m}"));
    let boundary = content_type
        .split(';')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("boundary="))
        .filter(|_| content_type.trim_start().starts_with("multipart/form-data"))
        .ok_or_else(|| bad("Content-Type must be multipart/form-data with a boundary"))?
        .trim_matches('"');
    let delimiter = format!("--{boundary}").into_bytes();
    let mut rest = body;
    while let Some(at) = find(rest, &delimiter) {
        rest = &rest[at + delimiter.len()..];
        if rest.starts_with(b"--") {
            break;
        }
        let rest_after_crlf = rest
            .strip_prefix(b"\r\n")
            .ok_or_else(|| bad("no line break after a boundary"))?;
        let head_end =
            find(rest_after_crlf, b"\r\n\r\n").ok_or_else(|| bad("a part has no headers"))?;
        let head = String::from_utf8_lossy(&rest_after_crlf[..head_end]).into_owned();
        let content = &rest_after_crlf[head_end + 4..];
        let end = find(content, &[b"\r\n".as_slice(), &delimiter].concat())
            .ok_or_else(|| bad("a part is not closed by a boundary"))?;
        if param(&head, "name").as_deref() == Some(field) {
            let content_type = head
                .lines()
                .find_map(|l| {
                    l.split_once(':')
                        .filter(|(k, _)| k.trim().eq_ignore_ascii_case("content-type"))
                })
                .map(|(_, v)| v.trim().to_owned());
            return Ok(UploadedPart {
                file_name: param(&head, "filename").unwrap_or_default(),
                content_type,
                bytes: content[..end].to_vec(),
            });
        }
        rest = &content[end..];
    }
    Err(bad(&format!("no part named \"{field}\"")))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// `name="value"` from a part's `Content-Disposition` line.
fn param(head: &str, name: &str) -> Option<String> {
    let line = head.lines().find(|l| {
        l.split_once(':')
            .is_some_and(|(k, _)| k.trim().eq_ignore_ascii_case("content-disposition"))
    })?;
    let key = format!("{name}=\"");
    let mut from = 0;
    while let Some(at) = line[from..].find(&key).map(|i| i + from) {
        let starts_word = line[..at].ends_with([' ', ';']);
        let value = &line[at + key.len()..];
        if starts_word {
            return value.split_once('"').map(|(v, _)| v.to_owned());
        }
        from = at + key.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lever::FilePart;

    #[test]
    fn the_clients_upload_body_reads_back() {
        let part = FilePart {
            field: "file".into(),
            file_name: "BGC report.pdf".into(),
            content_type: "application/pdf".into(),
            bytes: b"%PDF\r\n--not a boundary\r\n".to_vec(),
        };
        let (content_type, body) = part.encode();
        let read = file_part(&content_type, &body, "file").unwrap();
        assert_eq!(read.file_name, "BGC report.pdf");
        assert_eq!(read.content_type.as_deref(), Some("application/pdf"));
        assert_eq!(read.bytes, part.bytes);
        assert!(file_part(&content_type, &body, "resume").is_err());
        assert!(file_part("application/json", &body, "file").is_err());
    }
}
