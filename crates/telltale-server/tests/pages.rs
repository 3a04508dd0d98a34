//! The author's pages in the browser's way (session cookie, CSRF token,
//! forms and redirects) without a browser: registering a document as a job
//! with progress, and writing author alternatives on the review page.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::Value;

mod common;
use common::*;

/// A document registered from the page runs as a job: the form leads to
/// the job's page, the job reports the language model's progress through
/// the sentences, and its finished page leads on to the new document.
/// Unreadable text is refused at once, with no job.
#[tokio::test]
async fn registration_from_the_page_is_a_job_with_progress() {
    let w = world();
    let s = Session::start(&w, "ann", "/documents").await;
    let (session, csrf) = (&s.cookie, &s.csrf);
    let get = |path: &str| s.get(path);
    let boundary = "XyZ";
    let form = |text: &[u8]| {
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nKestria memo\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(text);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        Request::builder()
            .method(Method::POST)
            .uri("/documents")
            .header(header::COOKIE, session)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .unwrap()
    };

    let r = send(&w.app, form(b"caf\xff not text")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());

    let r = send(&w.app, form(MEMO.as_bytes())).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let at = r.headers[header::LOCATION].to_str().unwrap().to_string();
    let job: u64 = at.strip_prefix("/jobs/").unwrap().parse().unwrap();
    let page = send(&w.app, get(&at)).await;
    if page.status == StatusCode::OK {
        let html = page.text();
        assert!(
            html.contains("Registering a document") && html.contains("id=\"job-progress\""),
            "{html}"
        );
    }
    let j = wait_for_job(&w, job).await;
    assert_eq!(j["kind"], "registration");
    assert_eq!(j["error"], Value::Null, "{j}");
    let doc = j["document"].as_str().unwrap().to_string();
    assert!(!doc.is_empty());
    // The model scored every sentence it was given, and said so.
    let (done, total) = (j["done"].as_u64().unwrap(), j["total"].as_u64().unwrap());
    assert!(total > 10 && done == total, "{j}");
    let r = send(&w.app, get(&at)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.headers[header::LOCATION], format!("/documents/{doc}"));
    let d = call(
        &w,
        Method::GET,
        &format!("/api/documents/{doc}"),
        Some(&w.author),
        None,
    )
    .await;
    assert_eq!(d.status, StatusCode::OK);
    assert_eq!(d.json()["title"], "Kestria memo");
}

/// On the review page an author adds alternative wordings to a phrase,
/// sees the checks (a changed number is flagged), and removes them; once
/// copies are issued the form is gone.
#[tokio::test]
async fn author_alternatives_from_the_review_page() {
    let w = world();
    let doc = register_memo(&w).await;
    let s = Session::start(&w, "ann", "/documents").await;
    let get = |path: &str| s.get(path);
    let page = send(&w.app, get(&format!("/documents/{doc}"))).await.text();
    assert!(page.contains("id=\"add-alternative\""));
    let phrase = memo_phrase();
    let body = format!(
        "at={}&nth=1&alternatives={}",
        form_urlencoded::byte_serialize(phrase.as_bytes()).collect::<String>(),
        form_urlencoded::byte_serialize(b"some 40 people\nthe whole team").collect::<String>()
    );
    let r = send(
        &w.app,
        s.post(&format!("/documents/{doc}/alternatives"), &body),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let page = send(&w.app, get(&format!("/documents/{doc}"))).await.text();
    assert!(
        page.contains("id=\"author-slots\"") && page.contains("some 40 people"),
        "{page}"
    );
    assert!(
        page.contains("changes a number"),
        "the new number is flagged"
    );
    // A phrase that is not in the document is a one-line refusal.
    let r = send(
        &w.app,
        s.post(
            &format!("/documents/{doc}/alternatives"),
            "at=no+such+words&alternatives=x",
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text().contains("occurs 0 time(s)"));
    let r = send(
        &w.app,
        s.post(&format!("/documents/{doc}/alternatives/1/remove"), ""),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = send(&w.app, get(&format!("/documents/{doc}"))).await.text();
    assert!(!page.contains("id=\"author-slots\""));
}
