//! placeholder
#[test]
fn print_prices() {
    for p in crate::shop::ShopConfig::sample(8).products { println!("{} {} {}", p.name, p.category, p.price_cents); }
}
