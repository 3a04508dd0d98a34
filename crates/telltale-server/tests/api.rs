//! The server in-process: every endpoint and every role, the story from
//! registration to trace, and Word files in and out. Requests go through
//! the whole router (limits, CSRF guard, handlers) without a socket; what
//! must be refused is in `refusals.rs`.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::{json, Value};
use telltale_registry::Role;

mod common;
use common::*;

/// Register the memo, import 20 recipients, distribute with links; the
/// document id and the links (recipient, url).
async fn distributed(w: &World) -> (String, Vec<(String, String)>) {
    let doc = register_memo(w).await;
    let mut csv = String::from("id,name,email\n");
    for i in 1..=20 {
        csv.push_str(&format!("r-{i:02},Person {i},p{i}@example.org\n"));
    }
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/recipients")
        .header(header::AUTHORIZATION, format!("Bearer {}", w.author))
        .header(header::CONTENT_TYPE, "text/csv")
        .body(Body::from(csv))
        .unwrap();
    let r = send(&w.app, req).await;
    assert_eq!(r.json()["added"], 20, "{}", r.text());
    let r = call(
        w,
        Method::POST,
        &format!("/api/documents/{doc}/distribute"),
        Some(&w.author),
        Some(json!({"all": true})),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
    let job = r.json()["id"].as_u64().unwrap();
    let mut links = Vec::new();
    for _ in 0..600 {
        let r = call(
            w,
            Method::GET,
            &format!("/api/jobs/{job}"),
            Some(&w.author),
            None,
        )
        .await;
        let j = r.json();
        if j["finished"] == true {
            assert!(j["error"].is_null(), "{j}");
            assert_eq!(j["done"], 20);
            for l in j["links"].as_array().unwrap() {
                links.push((
                    l["recipient"].as_str().unwrap().to_string(),
                    l["url"].as_str().unwrap().to_string(),
                ));
            }
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(links.len(), 20, "the job finished with a link each");
    (doc, links)
}

/// A run of words from the middle of a copy, as a newspaper would quote it.
fn excerpt(copy: &str, words: usize) -> String {
    let ws: Vec<&str> = copy.split_whitespace().collect();
    ws[200..200 + words].join(" ")
}

#[tokio::test]
async fn the_whole_story_over_the_api() {
    let w = world();
    let (doc, links) = distributed(&w).await;
    assert!(links
        .iter()
        .all(|(_, u)| u.starts_with("http://telltale.test/r/")));

    // The review data: capacity, slots, estimate.
    let r = call(
        &w,
        Method::GET,
        &format!("/api/documents/{doc}"),
        Some(&w.author),
        None,
    )
    .await;
    let d = r.json();
    assert_eq!(d["issued"], 20);
    assert!(d["slots"].as_array().unwrap().len() > 50);
    assert!(
        d["shortest_identifying_quote"]["pasted_words"]
            .as_u64()
            .is_some(),
        "{}",
        d["shortest_identifying_quote"]
    );

    // A recipient reads their copy through their link; it is their copy.
    let (who, url) = &links[7];
    let r = call(
        &w,
        Method::GET,
        &format!("/api/reading/{}", secret_of(url)),
        None,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let copy = r.json()["text"].as_str().unwrap().to_string();
    let page = call(
        &w,
        Method::GET,
        &format!("/r/{}", secret_of(url)),
        None,
        None,
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.headers[header::CACHE_CONTROL], "no-store");
    assert!(page.text().contains("Person 8"));

    // The zip holds every copy as issued.
    let r = call(
        &w,
        Method::GET,
        &format!("/api/documents/{doc}/copies.zip"),
        Some(&w.author),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(r.body)).unwrap();
    assert_eq!(z.len(), 20);
    let mut in_zip = String::new();
    std::io::Read::read_to_string(&mut z.by_name(&format!("{who}.txt")).unwrap(), &mut in_zip)
        .unwrap();
    assert_eq!(in_zip, copy);

    // An investigator traces a pasted excerpt of it and gets that recipient.
    let quote = format!("The paper printed: \"{}\" and more.", excerpt(&copy, 120));
    let r = call(
        &w,
        Method::POST,
        "/api/trace",
        Some(&w.investigator),
        Some(json!({"text": quote})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let t = r.json();
    assert_eq!(t["report"]["documents"][0]["accused"], json!([who]), "{t}");
    let id = t["trace_id"].as_i64().unwrap();
    let r = call(
        &w,
        Method::GET,
        &format!("/api/traces/{id}"),
        Some(&w.investigator),
        None,
    )
    .await;
    assert_eq!(r.json()["input"], json!(quote));
    let r = call(
        &w,
        Method::GET,
        &format!("/traces/{id}/report"),
        Some(&w.investigator),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let report = r.text();
    let hash = blake3::hash(quote.as_bytes()).to_hex().to_string();
    assert!(report.contains(&hash), "the report names the input's hash");
    assert!(report.contains("Method") && report.contains("Person 8"));
    assert!(!report.contains("<script"), "the report is self-contained");
    // The same report as a PDF for the inquiry file, signed with the key
    // that the registry exports for third parties.
    let r = call(
        &w,
        Method::GET,
        &format!("/traces/{id}/report.pdf"),
        Some(&w.investigator),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/pdf");
    let key = telltale_registry::Registry::open(w.dir.path(), None)
        .unwrap()
        .report_key();
    let facts = telltale_registry::seal::verify(&r.body, &key).unwrap();
    assert_eq!((facts.trace, facts.input_hash), (id, hash.clone()));

    // Everything that changed state or revealed a copy is in the audit log.
    let r = call(&w, Method::GET, "/api/audit", Some(&w.admin), None).await;
    let a = r.json();
    assert_eq!(a["verified"]["intact"], true);
    let actions: Vec<&str> = a["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for want in [
        "doc.add",
        "recipients.import",
        "issue",
        "link.create",
        "link.view",
        "copies.download",
        "trace",
        "report",
    ] {
        assert!(actions.contains(&want), "{want} missing from {actions:?}");
    }
    let actors: Vec<&str> = a["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["actor"].as_str().unwrap())
        .collect();
    assert!(actors.contains(&"api:ann") && actors.contains(&"api:ivan"));

    // Revoked and expired links stop opening; a changed secret opens nothing.
    let r = call(
        &w,
        Method::GET,
        &format!("/api/documents/{doc}/links"),
        Some(&w.author),
        None,
    )
    .await;
    let link_id = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["recipient"] == json!(who))
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut other = secret_of(url).to_string();
    other.replace_range(0..1, if other.starts_with('0') { "1" } else { "0" });
    assert_eq!(
        call(
            &w,
            Method::GET,
            &format!("/api/reading/{other}"),
            None,
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        call(&w, Method::GET, &format!("/r/{other}"), None, None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        call(
            &w,
            Method::POST,
            &format!("/api/links/{link_id}/revoke"),
            Some(&w.author),
            None
        )
        .await
        .status,
        StatusCode::OK
    );
    assert_eq!(
        call(
            &w,
            Method::GET,
            &format!("/api/reading/{}", secret_of(url)),
            None,
            None
        )
        .await
        .status,
        StatusCode::GONE
    );
    assert_eq!(
        call(
            &w,
            Method::GET,
            &format!("/r/{}", secret_of(url)),
            None,
            None
        )
        .await
        .status,
        StatusCode::GONE
    );
}

#[tokio::test]
async fn every_role_reaches_only_its_own_endpoints() {
    let w = world();
    let (doc, links) = distributed(&w).await;
    let r = call(
        &w,
        Method::POST,
        "/api/trace",
        Some(&w.investigator),
        Some(json!({"text": excerpt(MEMO, 60)})),
    )
    .await;
    let trace = r.json()["trace_id"].as_i64().unwrap();
    let link = secret_of(&links[0].1).to_string();
    use Role::*;
    // (method, path, body, roles allowed)
    let cases: Vec<(Method, String, Option<Value>, Vec<Role>)> = vec![
        (
            Method::GET,
            "/api/whoami".into(),
            None,
            vec![Admin, Author, Investigator],
        ),
        (Method::GET, "/api/documents".into(), None, vec![Author]),
        (
            Method::POST,
            "/api/documents".into(),
            Some(
                json!({"text": "The talks stalled. Officials believe that the port will open in June."}),
            ),
            vec![Author],
        ),
        (
            Method::GET,
            format!("/api/documents/{doc}"),
            None,
            vec![Author],
        ),
        (
            Method::GET,
            format!("/api/documents/{doc}/links"),
            None,
            vec![Author],
        ),
        (
            Method::GET,
            format!("/api/documents/{doc}/copies.zip"),
            None,
            vec![Author],
        ),
        (Method::GET, "/api/recipients".into(), None, vec![Author]),
        (
            Method::POST,
            "/api/recipients".into(),
            Some(json!([{"id": "r-99", "name": "New Person", "email": null}])),
            vec![Author],
        ),
        (Method::GET, "/api/lists".into(), None, vec![Author]),
        (
            Method::POST,
            "/api/lists".into(),
            Some(json!({"name": "board", "members": ["r-01", "r-02"]})),
            vec![Author],
        ),
        (
            Method::POST,
            "/api/trace".into(),
            Some(json!({"text": excerpt(MEMO, 40)})),
            vec![Investigator],
        ),
        (Method::GET, "/api/traces".into(), None, vec![Investigator]),
        (
            Method::GET,
            format!("/api/traces/{trace}"),
            None,
            vec![Investigator],
        ),
        (
            Method::GET,
            format!("/traces/{trace}/report"),
            None,
            vec![Investigator],
        ),
        (
            Method::GET,
            format!("/traces/{trace}/report.pdf"),
            None,
            vec![Investigator],
        ),
        (
            Method::GET,
            format!("/api/documents/{doc}/alternatives"),
            None,
            vec![Author],
        ),
        (
            Method::GET,
            "/api/audit".into(),
            None,
            vec![Admin, Investigator],
        ),
        (Method::GET, "/api/users".into(), None, vec![Admin]),
        (
            Method::GET,
            "/api/tokens".into(),
            None,
            vec![Admin, Author, Investigator],
        ),
    ];
    for (method, path, body, allowed) in &cases {
        let r = call(&w, method.clone(), path, None, body.clone()).await;
        if path.starts_with("/api/") {
            assert_eq!(
                r.status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} without a token"
            );
            assert!(r.json()["error"].is_string());
        } else {
            assert_eq!(
                r.status,
                StatusCode::SEE_OTHER,
                "{method} {path}: browsers go to sign in"
            );
            assert_eq!(r.headers[header::LOCATION], "/login");
        }
        for (role, token) in [
            (Admin, &w.admin),
            (Author, &w.author),
            (Investigator, &w.investigator),
        ] {
            let r = call(&w, method.clone(), path, Some(token), body.clone()).await;
            if allowed.contains(&role) {
                assert!(
                    r.status.is_success(),
                    "{method} {path} as {role:?}: {} {}",
                    r.status,
                    r.text()
                );
            } else {
                assert_eq!(
                    r.status,
                    StatusCode::FORBIDDEN,
                    "{method} {path} as {role:?}: {}",
                    r.text()
                );
                assert!(r.json()["error"].as_str().unwrap().contains("role"));
            }
        }
    }
    // Admin-only changes, and their refusals.
    let r = call(
        &w,
        Method::POST,
        "/api/users",
        Some(&w.author),
        Some(json!({"name": "eve", "role": "admin", "password": PASSWORD})),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = call(
        &w,
        Method::POST,
        "/api/users",
        Some(&w.admin),
        Some(json!({"name": "otto", "role": "author", "password": PASSWORD})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = call(
        &w,
        Method::POST,
        "/api/users",
        Some(&w.admin),
        Some(json!({"name": "otto", "role": "author", "password": PASSWORD})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = call(
        &w,
        Method::POST,
        "/api/users/ada",
        Some(&w.admin),
        Some(json!({"disabled": true})),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "an admin cannot lock themselves out"
    );
    // A disabled user's token stops working at once.
    let r = call(
        &w,
        Method::POST,
        "/api/users/ivan",
        Some(&w.admin),
        Some(json!({"disabled": true})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        call(&w, Method::GET, "/api/traces", Some(&w.investigator), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // A reading-room secret is not an API token, and a token does not open a copy.
    assert_eq!(
        call(&w, Method::GET, "/api/documents", Some(&link), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call(
            &w,
            Method::GET,
            &format!("/api/reading/{}", &w.author[3..]),
            None,
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    // Tokens: made once, listed without secrets, revoked.
    let r = call(
        &w,
        Method::POST,
        "/api/tokens",
        Some(&w.author),
        Some(json!({"label": "cron"})),
    )
    .await;
    let t = r.json();
    let (tid, secret) = (
        t["id"].as_str().unwrap().to_string(),
        t["token"].as_str().unwrap().to_string(),
    );
    assert_eq!(
        call(&w, Method::GET, "/api/whoami", Some(&secret), None)
            .await
            .json()["name"],
        "ann"
    );
    let listed = call(&w, Method::GET, "/api/tokens", Some(&w.author), None)
        .await
        .text();
    assert!(!listed.contains(&secret[3..]));
    assert_eq!(
        call(
            &w,
            Method::POST,
            &format!("/api/tokens/{tid}/revoke"),
            Some(&w.investigator),
            None
        )
        .await
        .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call(
            &w,
            Method::POST,
            &format!("/api/tokens/{tid}/revoke"),
            Some(&w.author),
            None
        )
        .await
        .status,
        StatusCode::OK
    );
    assert_eq!(
        call(&w, Method::GET, "/api/whoami", Some(&secret), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn rules_can_change_until_the_first_copy_is_issued() {
    let w = world();
    let text = "The minister said that the talks had stalled, and the deal was signed in March. Officials believe that the port will open in June, despite the delays; the programme will realise savings.";
    let r = call(
        &w,
        Method::POST,
        "/api/documents",
        Some(&w.author),
        Some(json!({"text": text})),
    )
    .await;
    let doc = r.json()["id"].as_str().unwrap().to_string();
    let d = call(
        &w,
        Method::GET,
        &format!("/api/documents/{doc}"),
        Some(&w.author),
        None,
    )
    .await
    .json();
    let before = d["slots"].as_array().unwrap().len();
    let class = d["slots"][0]["class"].as_str().unwrap().to_string();
    let r = call(
        &w,
        Method::POST,
        &format!("/api/documents/{doc}/rules"),
        Some(&w.author),
        Some(json!({"disabled": [class]})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let d = call(
        &w,
        Method::GET,
        &format!("/api/documents/{doc}"),
        Some(&w.author),
        None,
    )
    .await
    .json();
    assert!(d["slots"].as_array().unwrap().len() < before);
    assert!(d["slots"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["class"] != json!(class)));
    assert_eq!(
        call(
            &w,
            Method::POST,
            &format!("/api/documents/{doc}/rules"),
            Some(&w.author),
            Some(json!({"disabled": ["no-such-class"]}))
        )
        .await
        .status,
        StatusCode::BAD_REQUEST
    );
    call(
        &w,
        Method::POST,
        "/api/recipients",
        Some(&w.author),
        Some(json!([{"id": "r-1", "name": "One", "email": null}])),
    )
    .await;
    let r = call(
        &w,
        Method::POST,
        &format!("/api/documents/{doc}/distribute"),
        Some(&w.author),
        Some(json!({"recipients": ["r-1"], "links": false})),
    )
    .await;
    let job = r.json()["id"].as_u64().unwrap();
    wait_for_job(&w, job).await;
    let r = call(
        &w,
        Method::POST,
        &format!("/api/documents/{doc}/rules"),
        Some(&w.author),
        Some(json!({"disabled": []})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    // Another author's job is not visible.
    let other = call(
        &w,
        Method::POST,
        "/api/users",
        Some(&w.admin),
        Some(json!({"name": "zed", "role": "author", "password": PASSWORD})),
    )
    .await;
    assert!(other.status.is_success());
}

#[tokio::test]
async fn the_openapi_document_lists_every_api_route() {
    let w = world();
    let r = call(&w, Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    let doc = r.json();
    let paths: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
    let routed = routes_in(include_str!("../src/api/mod.rs"));
    assert!(routed.len() > 25, "{routed:?}");
    for (p, _) in routed {
        assert!(
            paths.iter().any(|q| q.as_str() == p),
            "{p} is not in the OpenAPI document"
        );
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test]
async fn word_documents_in_and_out_and_leaked_files_traced() {
    let w = world();
    let docx =
        telltale_formats::from_text(MEMO, telltale_formats::FileFormat::Docx, "Kestria").unwrap();
    let upload = |path: &str, token: &str, body: Vec<u8>| {
        Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/octet-stream")
            .body(Body::from(body))
            .unwrap()
    };
    let r = send(
        &w.app,
        upload(
            "/api/documents/file?name=memo.docx&title=Kestria",
            &w.author,
            docx,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["format"], "docx");
    let doc = r.json()["id"].as_str().unwrap().to_string();
    let r = send(
        &w.app,
        upload(
            "/api/documents/file?name=memo.odt",
            &w.author,
            b"x".to_vec(),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = send(
        &w.app,
        upload(
            "/api/documents/file?name=memo.docx",
            &w.author,
            b"PK garbage".to_vec(),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert!(r.json()["error"].as_str().unwrap().contains("DOCX"));

    call(&w, Method::POST, "/api/recipients", Some(&w.author), Some(json!([{"id": "r-1", "name": "One", "email": null}, {"id": "r-2", "name": "Two", "email": null}]))).await;
    let r = call(
        &w,
        Method::POST,
        &format!("/api/documents/{doc}/distribute"),
        Some(&w.author),
        Some(json!({"all": true, "links": false})),
    )
    .await;
    let job = r.json()["id"].as_u64().unwrap();
    wait_for_job(&w, job).await;
    let r = call(
        &w,
        Method::GET,
        &format!("/api/documents/{doc}/copies.zip"),
        Some(&w.author),
        None,
    )
    .await;
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(r.body)).unwrap();
    let mut copy = Vec::new();
    std::io::Read::read_to_end(
        &mut z
            .by_name("r-2.docx")
            .expect("Word copies of a Word original"),
        &mut copy,
    )
    .unwrap();
    let r = send(
        &w.app,
        upload("/api/trace/file?name=leak.docx", &w.investigator, copy),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        r.json()["report"]["documents"][0]["accused"],
        json!(["r-2"])
    );
    let r = send(
        &w.app,
        upload(
            "/api/trace/file?name=scan.pdf",
            &w.investigator,
            b"%PDF".to_vec(),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.json()["error"].as_str().unwrap().contains("PDF"));
    let r = send(
        &w.app,
        upload(
            "/api/trace/file?name=memo.odt",
            &w.investigator,
            b"x".to_vec(),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = send(
        &w.app,
        upload(
            "/api/trace/file?name=photo.png",
            &w.investigator,
            b"not an image".to_vec(),
        ),
    )
    .await;
    assert!(
        r.status.is_client_error() || r.status == StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        r.status
    );
    assert!(r.json()["error"]
        .as_str()
        .unwrap()
        .starts_with("photo.png: "));
    let r = send(
        &w.app,
        upload("/api/trace/file?name=leak.docx", &w.author, b"x".to_vec()),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

/// Author alternatives through the API: listed, added with the gates'
/// verdicts and flags, removed, and refused once copies are issued.
#[tokio::test]
async fn author_alternatives_through_the_api() {
    let w = world();
    let doc = register_memo(&w).await;
    let path = format!("/api/documents/{doc}/alternatives");
    let r = call(&w, Method::GET, &path, Some(&w.author), None).await;
    assert_eq!(r.json()["author_slots"], json!([]));
    let phrase = memo_phrase();
    let r = call(
        &w,
        Method::POST,
        &path,
        Some(&w.author),
        Some(json!({"at": phrase, "alternatives": ["some 40 people"]})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let v = r.json();
    assert_eq!(
        v["author_slots"][0]["forms"],
        json!([phrase, "some 40 people"])
    );
    assert_eq!(v["checks"][0]["text"], "some 40 people");
    assert!(
        v["checks"][0]["flags"].to_string().contains("number"),
        "{v}"
    );
    // A phrase that is not there is a one-line 400, and changes nothing.
    let r = call(
        &w,
        Method::POST,
        &path,
        Some(&w.author),
        Some(json!({"at": "no such words", "alternatives": ["x"]})),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = call(&w, Method::GET, &path, Some(&w.author), None).await;
    assert_eq!(r.json()["author_slots"].as_array().unwrap().len(), 1);
    let r = call(
        &w,
        Method::POST,
        &format!("{path}/1/remove"),
        Some(&w.author),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["author_slots"], json!([]));
    // Once a copy is out, the wording is fixed.
    let r = call(
        &w,
        Method::POST,
        "/api/recipients",
        Some(&w.author),
        Some(json!([{"id": "r-1", "name": "Ann Holm"}])),
    )
    .await;
    assert!(r.status.is_success(), "{}", r.text());
    let r = call(
        &w,
        Method::POST,
        &format!("/api/documents/{doc}/distribute"),
        Some(&w.author),
        Some(json!({"all": true, "links": false})),
    )
    .await;
    wait_for_job(&w, r.json()["id"].as_u64().unwrap()).await;
    let r = call(
        &w,
        Method::POST,
        &path,
        Some(&w.author),
        Some(json!({"at": phrase, "alternatives": ["the whole team"]})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.text().contains("issued"), "{}", r.text());
}
