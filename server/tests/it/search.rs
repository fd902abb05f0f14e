//! Search (`/api/search`), on SQLite's FTS5 trigram index and PostgreSQL's
//! pg_trgm: any three characters and more are found anywhere in a word
//! (dashed terms, e-mail addresses, URLs, CJK), whatever the case, newest
//! first or best match first, with filters; an edit is found by its new
//! text only and a deletion by nothing, at once; and what someone may not
//! read answers exactly as what was never said.

use crate::support::{Api, TestServer, org_with_two_members};
use serde_json::Value;

async fn search(api: &Api, slug: &str, q: &str) -> Value {
    api.ok("search", &[("slug", slug), ("q", q)]).await
}

/// Each hit's snippet, the searched words in [brackets].
fn shown(found: &Value) -> Vec<String> {
    let hits = found["hits"].as_array().expect("hits");
    hits.iter()
        .map(|h| {
            let parts = h["snippet"].as_array().expect("a snippet");
            parts
                .iter()
                .map(|p| {
                    let text = p["text"].as_str().unwrap();
                    if p["hit"] == true { format!("[{text}]") } else { text.to_owned() }
                })
                .collect()
        })
        .collect()
}

/// A server where the tests may send and search as fast as they like.
async fn unhurried() -> TestServer {
    TestServer::start_with(|c| {
        c.messages_per_second = 10_000;
        c.searches_per_second = 10_000;
    })
    .await
}

async fn say(api: &Api, channel: &str, client_id: &str, body: &str) -> i64 {
    let form = [("slug", "acme"), ("channel", channel), ("client_id", client_id), ("body", body)];
    api.ok("send_message", &form).await["seq"].as_i64().unwrap()
}

#[tokio::test]
async fn parts_of_words_addresses_urls_and_cjk_are_found_whatever_the_case() {
    let server = unhurried().await;
    let (olivia, mark) = org_with_two_members(&server).await;
    say(&olivia, "general", "a", "We deploy-production tonight").await;
    say(&olivia, "general", "b", "Mail bob@example.com for access").await;
    say(&olivia, "general", "c", "Logs at https://ci.example.com/job/42?tab=log").await;
    say(&olivia, "general", "d", "部署完成了吗？").await;
    say(&olivia, "general", "e", "Nothing to see here").await;

    assert_eq!(shown(&search(&mark, "acme", "ploy-PROD").await), ["We de[ploy-prod]uction tonight"]);
    assert_eq!(shown(&search(&mark, "acme", "bob@example.com").await), ["Mail [bob@example.com] for access"]);
    assert_eq!(
        shown(&search(&mark, "acme", "ci.example.com/job/42?tab").await),
        ["Logs at https://[ci.example.com/job/42?tab]=log"]
    );
    assert_eq!(shown(&search(&mark, "acme", "部署完").await), ["[部署完]成了吗？"]);
    // Every word must be there; a % or _ is a character like any other.
    assert_eq!(shown(&search(&mark, "acme", "deploy tonight").await), ["We [deploy]-production [tonight]"]);
    assert_eq!(shown(&search(&mark, "acme", "deploy access").await), Vec::<String>::new());
    assert_eq!(shown(&search(&mark, "acme", "see_%").await), Vec::<String>::new());

    // A hit says where it is, to open it there.
    let found = search(&mark, "acme", "tonight").await;
    let hit = &found["hits"][0];
    assert_eq!((hit["channel_name"].as_str(), hit["channel_kind"].as_str()), (Some("general"), Some("public")));
    assert_eq!(hit["author"], "olivia");
    assert!(hit["seq"].as_i64().unwrap() > 0 && hit["sent_at"].as_i64().unwrap() > 0);
    assert_eq!(found["more"], false);
    // Short words are left out, and said so.
    let found = search(&mark, "acme", "to see").await;
    assert_eq!(
        (shown(&found), found["ignored"].clone()),
        (vec!["Nothing to [see] here".to_owned()], serde_json::json!(["to"]))
    );
    server.stop().await;
}

#[tokio::test]
async fn newest_first_or_best_match_first_a_page_at_a_time() {
    let server = unhurried().await;
    let (olivia, mark) = org_with_two_members(&server).await;
    say(&olivia, "general", "a", "deploy prod").await;
    let long = "prod was fine yesterday, but the deploy of the new build waits for a long review by the whole team";
    say(&olivia, "general", "b", long).await;
    let newest = shown(&search(&mark, "acme", "deploy prod").await);
    assert_eq!(newest.len(), 2);
    assert!(newest[0].starts_with("[prod] was fine"), "newest first: {newest:?}");
    let best = mark.ok("search", &[("slug", "acme"), ("q", "deploy prod"), ("best", "true")]).await;
    assert_eq!(shown(&best)[0], "[deploy] [prod]", "the closest match first");

    // Pages of 20, as far as 1000 in.
    for i in 0..25 {
        say(&olivia, "general", &format!("p{i}"), &format!("paged message {i}")).await;
    }
    let first = search(&mark, "acme", "paged").await;
    assert_eq!((first["hits"].as_array().unwrap().len(), first["more"].clone()), (20, Value::Bool(true)));
    assert_eq!(shown(&first)[0], "[paged] message 24");
    let next = mark.ok("search", &[("slug", "acme"), ("q", "paged"), ("offset", "20")]).await;
    assert_eq!(
        shown(&next),
        ["[paged] message 4", "[paged] message 3", "[paged] message 2", "[paged] message 1", "[paged] message 0"]
    );
    assert_eq!(next["more"], false);
    let deep = mark.err("search", &[("slug", "acme"), ("q", "paged"), ("offset", "1001")]).await;
    assert_eq!((deep.status, deep.code.as_str()), (400, "invalid"));
    server.stop().await;
}

#[tokio::test]
async fn filters_narrow_by_channel_person_date_and_thread() {
    let server = unhurried().await;
    let (olivia, mark) = org_with_two_members(&server).await;
    olivia.ok("create_channel", &[("slug", "acme"), ("name", "random"), ("kind", "public")]).await;
    let root = say(&olivia, "general", "a", "standup notes").await;
    say(&mark, "general", "b", "standup moved").await;
    say(&olivia, "random", "c", "standup elsewhere").await;
    let reply = [
        ("slug", "acme"),
        ("channel", "general"),
        ("client_id", "r"),
        ("body", "standup reply"),
        ("thread_of", &*root.to_string()),
    ];
    mark.ok("send_message", &reply).await;

    let texts = |found: Value| {
        let mut all: Vec<String> = shown(&found);
        all.sort();
        all
    };
    assert_eq!(texts(search(&mark, "acme", "standup in:#random").await), ["[standup] elsewhere"]);
    assert_eq!(texts(search(&mark, "acme", "standup from:@MARK").await), ["[standup] moved", "[standup] reply"]);
    assert_eq!(texts(search(&mark, "acme", "standup in:thread").await), ["[standup] reply"]);
    assert_eq!(texts(search(&mark, "acme", "from:@mark in:thread").await), ["standup reply"], "filters alone");
    assert_eq!(search(&mark, "acme", "standup after:2000-01-01").await["hits"].as_array().unwrap().len(), 4);
    assert_eq!(texts(search(&mark, "acme", "standup before:2000-01-01").await), Vec::<String>::new());
    assert_eq!(texts(search(&mark, "acme", "standup has:file").await), Vec::<String>::new(), "no files yet");
    assert_eq!(texts(search(&mark, "acme", "standup in:#nowhere").await), Vec::<String>::new());

    for bad in ["to", "", "standup before:yesterday", "standup has:link"] {
        let refused = mark.err("search", &[("slug", "acme"), ("q", bad)]).await;
        assert_eq!((refused.status, refused.code.as_str()), (400, "invalid"), "{bad:?}");
        assert!(!refused.message.is_empty());
    }
    server.stop().await;
}

#[tokio::test]
async fn an_edit_is_found_by_its_new_text_and_a_deletion_not_at_all_at_once() {
    let server = unhurried().await;
    let (olivia, mark) = org_with_two_members(&server).await;
    let seq = say(&olivia, "general", "a", "first draft wording").await;
    assert_eq!(shown(&search(&mark, "acme", "draft").await), ["first [draft] wording"]);
    let edit = [("slug", "acme"), ("channel", "general"), ("seq", &*seq.to_string()), ("body", "final wording")];
    olivia.ok("edit_message", &edit).await;
    assert_eq!(shown(&search(&mark, "acme", "draft").await), Vec::<String>::new(), "the earlier text is not found");
    assert_eq!(shown(&search(&mark, "acme", "final").await), ["[final] wording"]);
    // What the two texts share is still found, best first too.
    assert_eq!(shown(&search(&mark, "acme", "wording").await), ["final [wording]"]);
    let best = mark.ok("search", &[("slug", "acme"), ("q", "wording"), ("best", "true")]).await;
    assert_eq!(shown(&best), ["final [wording]"]);
    olivia.ok("delete_message", &[("slug", "acme"), ("channel", "general"), ("seq", &*seq.to_string())]).await;
    assert_eq!(shown(&search(&mark, "acme", "wording").await), Vec::<String>::new());
    server.stop().await;
}

#[tokio::test]
async fn what_one_may_not_read_answers_as_what_was_never_said() {
    let server = unhurried().await;
    let (olivia, mark) = org_with_two_members(&server).await;
    // A supervisor channel, a private channel Mark is not in, a direct
    // conversation of others, and another organization.
    let leads = olivia.ok("create_channel", &[("slug", "acme"), ("name", "leads"), ("kind", "supervisor")]).await;
    say(&olivia, leads["name"].as_str().unwrap(), "s", "zebra-quokka budget").await;
    let hush = olivia.ok("create_channel", &[("slug", "acme"), ("name", "hush"), ("kind", "private")]).await;
    say(&olivia, hush["name"].as_str().unwrap(), "p", "platypus-umbra launch").await;
    let tess = server.client();
    tess.register("tess").await;
    let invite = olivia.ok("create_invite", &[("slug", "acme")]).await;
    tess.ok("accept_invite", &[("token", invite["token"].as_str().unwrap())]).await;
    let dm = olivia.ok("open_direct", &[("slug", "acme"), ("usernames[0]", "tess")]).await;
    say(&olivia, dm["name"].as_str().unwrap(), "d", "axolotl-ibis between us").await;
    let other = server.client();
    other.register("oscar").await;
    other.ok("create_org", &[("name", "Other"), ("slug", "other")]).await;
    let form = [("slug", "other"), ("channel", "general"), ("client_id", "o"), ("body", "narwhal-okapi news")];
    other.ok("send_message", &form).await;

    let never = search(&mark, "acme", "never-said-word").await;
    assert_eq!(never, serde_json::json!({"hits": [], "ignored": [], "more": false}));
    for secret in ["zebra-quokka", "platypus-umbra", "axolotl-ibis", "narwhal-okapi", "quokka", "umbra", "ibis"] {
        assert_eq!(search(&mark, "acme", secret).await, never, "{secret}");
        let best = mark.ok("search", &[("slug", "acme"), ("q", secret), ("best", "true")]).await;
        assert_eq!(best, never, "{secret}, best first");
    }
    for filter in ["in:#leads", "in:#hush", &format!("in:#{}", leads["name"].as_str().unwrap())] {
        let asked = search(&mark, "acme", &format!("budget {filter}")).await;
        assert_eq!(asked, search(&mark, "acme", "budget in:#no-such-channel").await, "{filter}");
    }
    // Another organization's search is refused as for one that does not exist.
    let theirs = mark.err("search", &[("slug", "other"), ("q", "narwhal")]).await;
    let nowhere = mark.err("search", &[("slug", "no-such-org"), ("q", "narwhal")]).await;
    assert_eq!((theirs.status, theirs.code, theirs.message), (nowhere.status, nowhere.code, nowhere.message));

    // Those who may read them find them.
    assert_eq!(shown(&search(&olivia, "acme", "quokka").await), ["zebra-[quokka] budget"]);
    assert_eq!(shown(&search(&olivia, "acme", "umbra").await), ["platypus-[umbra] launch"]);
    // Its people find it by the name they see, too.
    assert_eq!(shown(&search(&olivia, "acme", "launch in:#hush").await), ["platypus-umbra [launch]"]);
    assert_eq!(shown(&search(&olivia, "acme", "budget in:#leads").await), ["zebra-quokka [budget]"]);
    assert_eq!(shown(&search(&tess, "acme", "axolotl").await), ["[axolotl]-ibis between us"]);
    assert_eq!(shown(&search(&tess, "acme", "quokka").await), Vec::<String>::new(), "a member, not a supervisor");
    server.stop().await;
}

#[tokio::test]
async fn a_flood_of_searches_is_slowed() {
    let server = TestServer::start().await;
    let (_olivia, mark) = org_with_two_members(&server).await;
    let mut limited = 0;
    for _ in 0..30 {
        match mark.call("search", &[("slug", "acme"), ("q", "anything")]).await {
            Ok(_) => {}
            Err(e) => {
                assert_eq!((e.status, e.code.as_str()), (429, "rate_limited"));
                limited += 1;
            }
        }
    }
    assert!(limited > 0, "30 searches at once are not all answered");
    server.stop().await;
}
