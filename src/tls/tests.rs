use super::*;
use std::fs;

/// A fresh self-signed certificate for `localhost`: (cert PEM, key PEM).
fn self_signed() -> (String, String) {
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])
        .expect("rcgen makes a certificate");
    (generated.cert.pem(), generated.signing_key.serialize_pem())
}

/// A folder holding `cert.pem` and `key.pem` with the given contents.
fn folder_with(cert: &str, key: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("cert.pem"), cert).unwrap();
    fs::write(dir.path().join("key.pem"), key).unwrap();
    dir
}

fn relative() -> TlsConfig {
    TlsConfig {
        cert: PathBuf::from("cert.pem"),
        key: PathBuf::from("key.pem"),
    }
}

#[test]
fn a_matching_certificate_and_key_load_relative_to_the_config_folder() {
    let (cert, key) = self_signed();
    let dir = folder_with(&cert, &key);

    assert!(relative().server_config(dir.path()).is_ok());
    assert!(relative().check(dir.path()).is_empty());
}

#[test]
fn absolute_paths_are_used_as_they_are() {
    let (cert, key) = self_signed();
    let dir = folder_with(&cert, &key);
    let absolute = TlsConfig {
        cert: dir.path().join("cert.pem"),
        key: dir.path().join("key.pem"),
    };
    assert!(absolute.check(Path::new("/nowhere")).is_empty());
}

#[test]
fn missing_files_are_reported_for_both_keys() {
    let dir = tempfile::tempdir().unwrap();
    let problems = relative().check(dir.path());
    let keys: Vec<&str> = problems.iter().map(|p| p.key).collect();
    assert_eq!(keys, ["cert", "key"]);
    assert!(
        problems[0].message.starts_with("cannot read"),
        "{problems:?}"
    );
    assert!(problems[0].message.contains("cert.pem"), "{problems:?}");
}

#[test]
fn a_cert_file_without_a_certificate_is_a_cert_problem() {
    let (_, key) = self_signed();
    for junk in ["", "not a certificate at all\n", key.as_str()] {
        let dir = folder_with(junk, &key);
        let problems = relative().check(dir.path());
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].key, "cert");
        assert!(
            problems[0].message.contains("no certificate"),
            "{problems:?}"
        );
    }
}

#[test]
fn a_key_file_without_a_key_is_a_key_problem() {
    let (cert, _) = self_signed();
    let dir = folder_with(&cert, &cert);
    let problems = relative().check(dir.path());
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].key, "key");
    assert!(
        problems[0].message.contains("no private key"),
        "{problems:?}"
    );
}

#[test]
fn a_broken_certificate_inside_valid_pem_is_a_cert_problem() {
    let (_, key) = self_signed();
    let garbage = "-----BEGIN CERTIFICATE-----\nAAECAwQFBgcICQ==\n-----END CERTIFICATE-----\n";
    let dir = folder_with(garbage, &key);
    let problems = relative().check(dir.path());
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].key, "cert", "{problems:?}");
}

#[test]
fn a_key_that_belongs_to_another_certificate_is_a_key_problem() {
    let (cert, _) = self_signed();
    let (_, other_key) = self_signed();
    let dir = folder_with(&cert, &other_key);
    let problems = relative().check(dir.path());
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].key, "key");
    assert!(
        problems[0].message.contains("does not belong"),
        "{problems:?}"
    );
}
