//! The `multipart/form-data` body of a file upload: one part, built by hand so uploads
//! need no extra HTTP dependency. Rebuilt for each attempt, so retries resend it whole.

use crate::sample::random_token;

/// One file sent as a form field (Lever's upload field is `file`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePart {
    /// The form field name.
    pub field: String,
    /// The file name Lever shows and takes the extension from.
    pub file_name: String,
    /// The file's media type (`application/pdf`…).
    pub content_type: String,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

impl FilePart {
    /// The `Content-Type` header (with its boundary) and the body.
    pub(crate) fn encode(&self) -> (String, Vec<u8>) {
        let boundary = format!("lever-hooks-{}", random_token());
        let name = quoted(&self.field);
        let file_name = quoted(&self.file_name);
        let content_type: String = self
            .content_type
            .chars()
            .filter(|c| !c.is_control())
            .collect();
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; \
             filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(&self.bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        (format!("multipart/form-data; boundary={boundary}"), body)
    }
}

/// A header parameter value: quotes, backslashes and line breaks cannot end it early.
fn quoted(value: &str) -> String {
    value
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| if c == '"' || c == '\\' { '_' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_holds_one_part_between_boundaries() {
        let part = FilePart {
            field: "file".into(),
            file_name: "re\"port\r\n.pdf".into(),
            content_type: "application/pdf".into(),
            bytes: b"%PDF-1.4 data".to_vec(),
        };
        let (content_type, body) = part.encode();
        let boundary = content_type
            .strip_prefix("multipart/form-data; boundary=")
            .unwrap();
        let text = String::from_utf8(body).unwrap();
        assert!(text.starts_with(&format!("--{boundary}\r\n")));
        assert!(text.ends_with(&format!("\r\n--{boundary}--\r\n")));
        assert!(text.contains("name=\"file\"; filename=\"re_port.pdf\""));
        assert!(text.contains("\r\n\r\n%PDF-1.4 data\r\n"));
    }
}
