//! Routes, handlers and accounts: the names they refer to and the names they may take.

use super::*;

#[test]
fn a_route_naming_a_missing_handler_lists_the_known_ones() {
    let text = format!(
        "{LEVER}[handlers.notify]\nkind = \"http\"\nurl = \"https://hooks.example.com/x\"\n\n[[routes]]\nevents = [\"*\"]\nhandler = \"notfiy\"\n"
    );
    let problem = only_problem(&text);
    assert_eq!(problem.path, "routes[0].handler");
    assert!(problem.message.contains("`notfiy`"), "{problem}");
    assert!(problem.message.contains("notify"), "{problem}");
}

#[test]
fn a_route_may_name_a_registered_plugin() {
    let text = format!("{LEVER}[[routes]]\nevents = [\"hired\"]\nhandler = \"hris\"\n");
    let config = parse_with_plugins(&text, &["hris"]).unwrap();
    assert_eq!(config.routes[0].handler, "hris");
}

#[test]
fn a_handler_may_not_take_a_plugins_name() {
    let text =
        format!("{LEVER}[handlers.hris]\nkind = \"http\"\nurl = \"https://hooks.example.com/x\"\n");
    let problems = match parse_with_plugins(&text, &["hris"]) {
        Ok(_) => panic!("a clash must not pass"),
        Err(e) => e.problems,
    };
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(problems[0].path, "handlers.hris");
}

#[test]
fn a_handler_that_cannot_be_read_is_not_also_reported_missing_by_routes() {
    let text = format!(
        "{LEVER}[handlers.notify]\nkind = \"command\"\nprogramm = \"/bin/true\"\n\n[[routes]]\nevents = [\"*\"]\nhandler = \"notify\"\n"
    );
    let problem = only_problem(&text);
    assert!(problem.path.starts_with("handlers.notify"), "{problem}");
}

#[test]
fn an_account_named_default_is_rejected() {
    let problem = only_problem(&format!(
        "{LEVER}[accounts.default]\nsigning_tokens = {{ default = [\"t\"] }}\n"
    ));
    assert_eq!(problem.path, "accounts.default");
    assert!(problem.message.contains("[lever]"), "{problem}");
}

#[test]
fn account_names_with_uppercase_or_slashes_are_rejected() {
    for name in ["Acme", "\"acme/eu\""] {
        let text = format!("{LEVER}[accounts.{name}]\nsigning_tokens = {{ default = [\"t\"] }}\n");
        let problem = only_problem(&text);
        assert_eq!(problem.path, format!("accounts.{}", name.trim_matches('"')));
        assert!(problem.message.contains("a-z"), "{problem}");
    }
}

#[test]
fn an_account_without_signing_tokens_is_a_problem_unless_unsigned_is_allowed() {
    let problem = only_problem(&format!(
        "{LEVER}[accounts.acme]\napi_base = \"https://api.lever.co/v1\"\n"
    ));
    assert_eq!(problem.path, "accounts.acme.signing_tokens");

    let config = parse(&format!("{LEVER}[accounts.acme]\nallow_unsigned = true\n")).unwrap();
    assert!(config.accounts["acme"].allow_unsigned);
    assert!(config.accounts["acme"].signing_tokens.is_empty());
}

#[test]
fn a_signing_token_for_a_name_that_is_not_a_lever_event_is_a_problem() {
    let problem =
        only_problem("[lever]\nsigning_tokens = { default = [\"t\"], candidateHird = [\"h\"] }\n");
    assert_eq!(problem.path, "lever.signing_tokens");
    assert!(problem.message.contains("`candidateHird`"), "{problem}");
    assert!(
        problem.message.contains("candidateHired"),
        "should list the real names: {problem}"
    );
}

#[test]
fn an_account_that_cannot_be_read_is_not_also_reported_missing() {
    let problem = only_problem("[lever]\nsigning_tokens = { default = [\"t\"] }\nmax_age = 900\n");
    assert_eq!(problem.path, "lever.max_age");
}

#[test]
fn a_stage_filter_on_a_route_for_other_events_is_a_problem() {
    let text = format!("{LEVER}[[routes]]\nevents = [\"candidateHired\"]\nto_stage = \"offer\"\nhandler = \"audit\"\n");
    let problem = match parse_with_plugins(&text, &["audit"]) {
        Ok(_) => panic!("a stage filter on hires must not pass"),
        Err(e) => e.problems[0].clone(),
    };
    assert_eq!(problem.path, "routes[0].to_stage");
    assert!(
        problem.message.contains("candidateStageChange"),
        "{problem}"
    );
}

#[test]
fn a_from_stage_filter_on_a_route_for_other_events_names_from_stage() {
    let text = format!(
        "{LEVER}[[routes]]\nevents = [\"*\"]\nfrom_stage = \"offer\"\nhandler = \"audit\"\n"
    );
    let problems = parse_with_plugins(&text, &["audit"]).unwrap_err().problems;
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(problems[0].path, "routes[0].from_stage");
}

#[test]
fn archived_routes_take_a_reason_type_and_other_routes_do_not() {
    let text = format!(
        "{LEVER}[[routes]]\nevents = [\"archived\"]\nreason_type = \"non-hired\"\nhandler = \"cancel\"\n"
    );
    let config = parse_with_plugins(&text, &["cancel"]).unwrap();
    assert_eq!(
        config.routes[0].reason_type,
        Some(crate::config::ArchiveReasonType::NonHired)
    );

    let text = format!(
        "{LEVER}[[routes]]\nevents = [\"hired\"]\nreason_type = \"hired\"\nhandler = \"cancel\"\n"
    );
    let problems = parse_with_plugins(&text, &["cancel"]).unwrap_err().problems;
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].path, "routes[0].reason_type");

    let text = format!(
        "{LEVER}[[routes]]\nevents = [\"archived\"]\nreason_type = \"fired\"\nhandler = \"cancel\"\n"
    );
    let problems = parse_with_plugins(&text, &["cancel"]).unwrap_err().problems;
    assert_eq!(problems[0].path, "routes[0].reason_type", "{problems:?}");
}
