use super::*;

fn line(log: &mut AccessLog, a: &Access) -> String {
    log.format(a);
    String::from_utf8(log.line.clone()).expect("ascii")
}

fn scenario() -> Scenario {
    let text = r#"
[scenario]
duration = "1m"
[load]
type = "open"
rate = 1.0
[behavior]
start = "home"
[behavior.transitions]
home = { leave = 1.0 }
[catalog]
products = 100
categories = 5
[operations.recs]
route = [{ visit = "search" }]
"#;
    crate::scenario::load_str("t.toml", "t", text, &[], None)
        .expect("valid")
        .scenario
}

#[test]
fn a_line_is_combined_log_format_with_request_time_and_msec() {
    let sc = scenario();
    let mut log = AccessLog::new(Box::new(io::sink()), &sc, DEFAULT_START_MS);
    let a = Access {
        session: Some(6),
        customer: Some(42),
        op: Action::ViewProduct.into(),
        subject: 118,
        start: SimTime(3_218_400_000),
        end: SimTime(3_222_900_000),
        error: None,
    };
    assert_eq!(
        line(&mut log, &a),
        "10.0.0.7 - 42 [27/Nov/2026:00:00:03 +0000] \"GET /product/118 HTTP/1.1\" 200 - \"-\" \"ecsim/0.1.0\" 0.005 1795737603.218\n"
    );
    let browse = Access {
        session: Some((1 << 24) + 5),
        customer: None,
        op: Action::Browse.into(),
        subject: 103,
        start: SimTime(86_400_000_000_000 + 59_000_000_000),
        end: SimTime(86_400_000_000_000 + 60_000_000_000),
        error: Some(ErrorKind::Timeout),
    };
    assert_eq!(
        line(&mut log, &browse),
        "fd00::100:6 - - [28/Nov/2026:00:00:59 +0000] \"GET /category/3 HTTP/1.1\" 504 - \"-\" \"ecsim/0.1.0\" 1.000 1795824059.000\n"
    );
    let admin = Access {
        session: None,
        op: Action::Restock.into(),
        error: Some(ErrorKind::NotFound),
        ..a
    };
    assert!(line(&mut log, &admin).starts_with(
        "127.0.0.1 - admin [27/Nov/2026:00:00:03 +0000] \"POST /admin/restock/118 HTTP/1.1\" 404 "
    ));
    let custom = Access {
        op: Op::custom(0),
        customer: None,
        ..a
    };
    assert!(
        line(&mut log, &custom).starts_with(
            "10.0.0.7 - - [27/Nov/2026:00:00:03 +0000] \"GET /ops/recs HTTP/1.1\" 200 "
        )
    );
}

#[test]
fn statuses_follow_the_documented_table() {
    let expect = [
        (None, 200),
        (Some(ErrorKind::OutOfStock), 404),
        (Some(ErrorKind::PaymentDeclined), 402),
        (Some(ErrorKind::Unavailable), 503),
        (Some(ErrorKind::Rejected), 503),
        (Some(ErrorKind::Shed), 503),
        (Some(ErrorKind::CircuitOpen), 503),
        (Some(ErrorKind::Timeout), 504),
        (Some(ErrorKind::GatewayTimeout), 504),
        (Some(ErrorKind::Failed), 500),
        (Some(ErrorKind::Abandoned), 499),
        (Some(ErrorKind::Unauthorized), 401),
        (Some(ErrorKind::CouponExhausted), 422),
        (Some(ErrorKind::EmptyCart), 422),
        (Some(ErrorKind::CheckoutInProgress), 409),
        (Some(ErrorKind::InvalidInput), 400),
    ];
    for (e, code) in expect {
        assert_eq!(status(e), code, "{e:?}");
    }
    // Every kind is an error status.
    assert!(ErrorKind::ALL.iter().all(|&k| status(Some(k)) >= 400));
}

#[test]
fn dates_and_rfc3339_times_convert_both_ways() {
    assert_eq!(days_from_civil(1970, 1, 1), 0);
    assert_eq!(days_from_civil(2026, 11, 27) * 86_400_000, DEFAULT_START_MS);
    assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
    assert_eq!(civil_from_days(-1), (1969, 12, 31));
    assert_eq!(parse_rfc3339("2026-11-27T00:00:00Z"), Ok(DEFAULT_START_MS));
    assert_eq!(
        parse_rfc3339("2026-11-27T01:00:00.25+01:00"),
        Ok(DEFAULT_START_MS + 250)
    );
    assert_eq!(
        parse_rfc3339("2026-11-26 19:00:00-05:00"),
        Ok(DEFAULT_START_MS)
    );
    for bad in [
        "2026-11-27",
        "2026-13-01T00:00:00Z",
        "2026-11-27T00:00:00",
        "x",
    ] {
        assert!(parse_rfc3339(bad).is_err(), "{bad}");
    }
}
