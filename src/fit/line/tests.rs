use super::*;

fn parse(l: &str) -> Result<Request<'_>, Bad> {
    combined(l.as_bytes(), &mut ClfClock::default())
}

const T0: i64 = 1_795_737_600; // 2026-11-27T00:00:00Z

#[test]
fn combined_lines_with_request_time_and_msec_take_their_times_from_msec() {
    let r = parse(
        r#"10.0.0.7 - 42 [27/Nov/2026:00:00:03 +0000] "GET /product/118 HTTP/1.1" 200 - "-" "ecsim/0.1.0" 0.005 1795737603.218"#,
    )
    .expect("valid");
    assert_eq!(r.host, b"10.0.0.7");
    assert_eq!(r.user, b"42");
    assert_eq!(r.method, b"GET");
    assert_eq!(r.path, b"/product/118");
    assert_eq!(r.agent, b"ecsim/0.1.0");
    assert_eq!(r.start_ms, (T0 + 3) * 1000 + 218);
    assert_eq!(r.took_ms, Some(5));
}

#[test]
fn lines_without_the_extra_fields_take_the_clf_second_and_its_zone() {
    let r = parse(r#"1.2.3.4 - - [26/Nov/2026:19:00:03 -0500] "POST /checkout HTTP/1.1" 402 17 "https://shop/cart" "Mozilla/5.0 (X11; Linux)""#)
        .expect("valid");
    assert_eq!(r.start_ms, (T0 + 3) * 1000);
    assert_eq!(r.took_ms, None);
    assert_eq!(r.agent, b"Mozilla/5.0 (X11; Linux)");
    // Common Log Format: no referer, no agent.
    let r = parse(r#"1.2.3.4 - frank [27/Nov/2026:00:00:00 +0000] "GET / HTTP/1.0" 200 2326"#)
        .expect("valid");
    assert_eq!(
        (r.path, r.agent, r.start_ms),
        (&b"/"[..], &b""[..], T0 * 1000)
    );
}

#[test]
fn quoted_fields_keep_spaces_and_escaped_quotes() {
    let r = parse(
        r#"::1 - - [27/Nov/2026:00:00:00 +0000] "GET /search?q=a%20b HTTP/1.1" 200 - "say \"hi\" \\" "agent \"x\" y" 1.5 1795737600.5"#,
    )
    .expect("valid");
    assert_eq!(r.path, b"/search?q=a%20b");
    assert_eq!(r.agent, br#"agent \"x\" y"#);
    assert_eq!((r.took_ms, r.start_ms), (Some(1500), T0 * 1000 + 500));
}

#[test]
fn bad_lines_name_the_column_and_what_was_expected() {
    let cases = [
        ("garbage", 8, "an ident field"),
        (
            "h - - 27/Nov/2026:00:00:00 +0000",
            7,
            "a timestamp such as [27/Nov/2026:00:00:03 +0000]",
        ),
        (
            "h - - [27/Foo/2026:00:00:00 +0000] \"GET / HTTP/1.1\" 200 -",
            8,
            "a timestamp such as [27/Nov/2026:00:00:03 +0000]",
        ),
        (
            "h - - [27/Nov/2026:00:00:00 +0000] \"GET / HTTP/1.1 200 -",
            36,
            "a closing quote",
        ),
        (
            "h - - [27/Nov/2026:00:00:00 +0000] \"GET\" 200 -",
            37,
            "a request such as \"GET /path HTTP/1.1\"",
        ),
        (
            "h - - [27/Nov/2026:00:00:00 +0000] \"GET / HTTP/1.1\" 2000 -",
            53,
            "a three-digit status",
        ),
        (
            "h - - [27/Nov/2026:00:00:00 +0000] \"GET / HTTP/1.1\" 200 - \"-\" \"a\" fast 1.0",
            67,
            "$request_time and $msec, seconds such as 0.005 1795737603.218",
        ),
    ];
    for (line, col, what) in cases {
        assert_eq!(parse(line), Err(Bad { col, what }), "{line}");
    }
}

#[test]
fn the_clock_reuses_the_last_second_and_reads_a_new_one() {
    let mut c = ClfClock::default();
    let a = c.second(b"27/Nov/2026:00:00:03 +0000");
    assert_eq!(a, Some(T0 + 3));
    assert_eq!(c.second(b"27/Nov/2026:00:00:03 +0000"), Some(T0 + 3));
    assert_eq!(c.second(b"01/Jan/1970:00:00:00 +0000"), Some(0));
    assert_eq!(
        c.second(b"29/Feb/2028:23:59:59 +0130"),
        Some(1_835_481_599 - 5400)
    );
    assert_eq!(millis(b"12"), Some(12_000));
    assert_eq!(millis(b"0.0456"), Some(45));
    assert_eq!(millis(b"-1"), None);
    assert_eq!(millis(b"1.x"), None);
}
