//! Unit tests of the catalog: lookup and its errors, text search, filters
//! with sorting and paging, refused queries, edits that re-index, unique
//! categories, tokens and every path of a posting-list intersection.

use super::*;

fn spec(name: &str, category: u16, price: Cents, rank: u32) -> ProductSpec {
    ProductSpec {
        name: name.into(),
        category: CategoryId(category),
        price_cents: price,
        initial_stock: 1,
        popularity_rank: rank,
    }
}

fn catalog() -> Catalog {
    let c = Catalog::new(&["books".into(), "games".into()]);
    c.create(&spec("Red Chess Set", 1, 2_500, 3)).unwrap();
    c.create(&spec("Chess for Beginners", 0, 1_200, 1)).unwrap();
    c.create(&spec("Red Dragon", 0, 900, 0)).unwrap();
    c.create(&spec("Go Board", 1, 4_000, 2)).unwrap();
    c
}

fn ids(page: &SearchPage) -> Vec<u32> {
    page.items.iter().map(|p| p.id.0).collect()
}

fn query(text: &str) -> SearchQuery<'_> {
    SearchQuery {
        text,
        page_size: 10,
        ..SearchQuery::default()
    }
}

#[test]
fn lookup_and_errors() {
    let c = catalog();
    assert_eq!(c.product(ProductId(2)).unwrap().price_cents, 900);
    assert_eq!(c.product(ProductId(9)).unwrap_err().kind(), "not_found");
    assert_eq!(
        c.create(&spec("x", 7, 1, 0)).unwrap_err().kind(),
        "not_found"
    );
    assert_eq!(
        c.create(&spec("x", 0, -1, 0)).unwrap_err(),
        CatalogError::InvalidPrice { cents: -1 }
    );
    assert_eq!(
        c.create(&spec(" - ", 0, 1, 0)).unwrap_err(),
        CatalogError::EmptyName
    );
    assert_eq!(&*c.name(ProductId(3)).unwrap(), "Go Board");
}

#[test]
fn text_search_ands_tokens_case_insensitively() {
    let c = catalog();
    assert_eq!(
        ids(&c.search(&query("chess"), |_| true).unwrap()),
        vec![1, 0]
    );
    assert_eq!(
        ids(&c.search(&query("RED chess"), |_| true).unwrap()),
        vec![0]
    );
    assert!(
        c.search(&query("zebra"), |_| true)
            .unwrap()
            .items
            .is_empty()
    );
}

#[test]
fn filters_sorting_and_paging() {
    let c = catalog();
    let mut q = query("");
    q.sort = SortOrder::PriceAsc;
    assert_eq!(ids(&c.search(&q, |_| true).unwrap()), vec![2, 1, 0, 3]);
    q.sort = SortOrder::PriceDesc;
    q.category = Some(CategoryId(1));
    assert_eq!(ids(&c.search(&q, |_| true).unwrap()), vec![3, 0]);
    let q = SearchQuery {
        min_price_cents: Some(1_000),
        max_price_cents: Some(3_000),
        ..query("")
    };
    assert_eq!(ids(&c.search(&q, |_| true).unwrap()), vec![1, 0]);
    let q = SearchQuery {
        in_stock_only: true,
        ..query("")
    };
    assert_eq!(ids(&c.search(&q, |p| p.0 % 2 == 0).unwrap()), vec![2, 0]);
    let q = SearchQuery {
        page: 1,
        page_size: 3,
        ..query("")
    };
    let page = c.search(&q, |_| true).unwrap();
    assert_eq!((page.total, ids(&page)), (4, vec![0]));
    let q = SearchQuery {
        page: 7,
        page_size: 3,
        ..query("")
    };
    assert!(c.search(&q, |_| true).unwrap().items.is_empty());
}

#[test]
fn invalid_queries_are_rejected() {
    let c = catalog();
    let q = SearchQuery {
        page_size: 0,
        ..query("")
    };
    assert_eq!(c.search(&q, |_| true).unwrap_err().kind(), "invalid_input");
    let q = SearchQuery {
        min_price_cents: Some(5),
        max_price_cents: Some(4),
        ..query("")
    };
    assert_eq!(c.search(&q, |_| true).unwrap_err().kind(), "invalid_input");
}

#[test]
fn update_reindexes_and_delete_hides() {
    let c = catalog();
    let patch = ProductPatch {
        name: Some("Blue Dragon".into()),
        category: Some(CategoryId(1)),
        ..Default::default()
    };
    c.update(ProductId(2), &patch).unwrap();
    assert!(
        c.search(&query("red dragon"), |_| true)
            .unwrap()
            .items
            .is_empty()
    );
    assert_eq!(ids(&c.search(&query("blue"), |_| true).unwrap()), vec![2]);
    let q = SearchQuery {
        category: Some(CategoryId(1)),
        ..query("")
    };
    assert_eq!(ids(&c.search(&q, |_| true).unwrap()), vec![2, 3, 0]);
    c.update(
        ProductId(2),
        &ProductPatch {
            active: Some(false),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(c.product(ProductId(2)).unwrap_err().kind(), "not_found");
    assert!(c.search(&query("blue"), |_| true).unwrap().items.is_empty());
    let bad = ProductPatch {
        price_cents: Some(MAX_PRICE_CENTS + 1),
        ..Default::default()
    };
    assert_eq!(
        c.update(ProductId(1), &bad).unwrap_err().kind(),
        "invalid_input"
    );
    assert_eq!(
        c.update(ProductId(99), &ProductPatch::default())
            .unwrap_err()
            .kind(),
        "not_found"
    );
}

#[test]
fn categories_are_unique() {
    let c = catalog();
    assert_eq!(c.create_category("toys").unwrap(), CategoryId(2));
    assert_eq!(
        c.create_category("Books").unwrap_err().kind(),
        "invalid_input"
    );
    assert_eq!(c.categories(), vec!["books", "games", "toys"]);
}

#[test]
fn common_tokens_answer_from_their_bitmap_like_the_lists() {
    // 3,000 products: "lamp" on every 3rd (a bitmap), "red" on every 5th
    // (a bitmap), "brand<k>" on every 97th from k (lists of ~31, no bitmap).
    let c = Catalog::new(&["home".into()]);
    for i in 0..3_000u32 {
        let mut name = format!("brand{} item{i}", i % 97);
        if i % 3 == 0 {
            name.push_str(" lamp");
        }
        if i % 5 == 0 {
            name.push_str(" red");
        }
        c.create(&spec(&name, 0, 100, i)).unwrap();
    }
    let lamp = c.tokens.get("lamp").unwrap();
    assert!(lamp.has_bitmap(), "lamp is common: it has a bitmap");
    assert!(!c.tokens.get("brand5").unwrap().has_bitmap());
    drop(lamp);
    let all = |text: &str| {
        let mut q = query(text);
        q.page_size = MAX_PAGE_SIZE;
        let mut out = Vec::new();
        loop {
            let page = c.search(&q, |_| true).unwrap();
            if page.items.is_empty() {
                return out;
            }
            out.extend(page.items.iter().map(|p| p.id.0));
            q.page += 1;
        }
    };
    let expect = |f: &dyn Fn(u32) -> bool| (0..3_000u32).filter(|&i| f(i)).collect::<Vec<_>>();
    assert_eq!(all("brand5 lamp"), expect(&|i| i % 97 == 5 && i % 3 == 0));
    assert_eq!(all("lamp red"), expect(&|i| i % 15 == 0));
    assert_eq!(
        all("red brand7 lamp"),
        expect(&|i| i % 97 == 7 && i % 15 == 0)
    );
    // Renaming a product takes it out of its old tokens' bitmaps.
    let renamed = ProductPatch {
        name: Some("brand5 plain".into()),
        ..ProductPatch::default()
    };
    c.update(ProductId(15), &renamed).unwrap();
    assert_eq!(all("lamp red"), expect(&|i| i % 15 == 0 && i != 15));
    assert!(all("brand5 plain").contains(&15));
}

#[test]
fn ascii_words_tokenize_like_the_general_path() {
    let general = |w: &str| -> String { w.chars().take(32).flat_map(char::to_lowercase).collect() };
    let long = "A".repeat(40);
    let text = format!("Red-CHESS set2 {long} Ünïcode ÀB x");
    let got: Vec<String> = tokenize(&text).map(String::from).collect();
    let want: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(general)
        .collect();
    assert_eq!(got, want);
    assert_eq!(got[3], "a".repeat(32), "cut at 32 characters");
    assert_eq!(got[4], "ünïcode");
}

#[test]
fn lower_case_ascii_words_are_borrowed_and_others_lowered() {
    use std::borrow::Cow;
    let tokens: Vec<Cow<'_, str>> = tokenize("belon chair, Red").collect();
    assert!(matches!(tokens[0], Cow::Borrowed("belon")));
    assert!(matches!(tokens[1], Cow::Borrowed("chair")));
    assert!(matches!(&tokens[2], Cow::Owned(w) if w == "red"));
}

#[test]
fn every_intersection_path_gives_the_common_ids_in_order() {
    use super::index::{Postings, intersect};
    use crate::shop::ids::mix64;
    // Sorted unique ids of 0..span kept when a hash falls under `keep`
    // per mille: a brand's few products, a common word's many.
    let list = |seed: u64, span: u32, keep: u64| -> Vec<ProductId> {
        (0..span)
            .filter(|&i| mix64(seed ^ (u64::from(i) << 20)) % 1000 < keep)
            .map(ProductId)
            .collect()
    };
    let span = 20_000;
    // (a's share, b's share, b has a bitmap): a gallop (a over 16 times
    // rarer), a merge (alike), and a bitmap probe (one product in 32 or
    // more has b).
    for (seed, keep_a, keep_b, bitmap) in [(1, 1, 20, false), (2, 10, 20, false), (3, 5, 500, true)]
    {
        // Both have the run 5000..5008 (neighbours in both lists), and b
        // every other id of a, and its own.
        let mut a = list(seed, span, keep_a);
        a.extend((5000..5008).map(ProductId));
        a.sort_unstable();
        a.dedup();
        let mut b_ids = list(seed + 100, span, keep_b);
        b_ids.extend(a.iter().step_by(2));
        b_ids.extend((5000..5008).map(ProductId));
        b_ids.sort_unstable();
        b_ids.dedup();
        let mut b = Postings::default();
        for &id in &b_ids {
            b.insert(id, span);
        }
        assert_eq!(b.has_bitmap(), bitmap, "seed {seed}");
        let gallop = !bitmap && a.len() * 16 < b_ids.len();
        assert_eq!(gallop, seed == 1, "seed {seed}: the gallop");
        let want: Vec<ProductId> = a.iter().copied().filter(|id| b_ids.contains(id)).collect();
        assert!(
            !want.is_empty() && want.len() < a.len(),
            "seed {seed}: some, not all"
        );
        assert_eq!(intersect(&a, &b), want, "seed {seed}");
    }
    // The gallop at every distance: b the even ids below 80 (no bitmap in
    // a large catalog), a two ids.
    let mut b = Postings::default();
    for id in (0..80).step_by(2) {
        b.insert(ProductId(id), 1_000_000);
    }
    for first in 0..20 {
        for gap in 1..40 {
            let a = [ProductId(first), ProductId(first + gap)];
            let want: Vec<ProductId> = a.iter().copied().filter(|id| id.0 % 2 == 0).collect();
            assert_eq!(intersect(&a, &b), want, "a = {a:?}");
        }
    }
}
