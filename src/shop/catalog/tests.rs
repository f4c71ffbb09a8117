//! Unit tests of the catalog: lookup and its errors, text search, filters
//! with sorting and paging, refused queries, edits that re-index, and
//! unique categories.

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
