//! Names of the simulated world: account emails and product names
//! (`"{brand} {colour} {thing} m{id}"`), which the search queries ask for.

/// Words of product names: `"{brand} {colour} {thing} m{id}"`. Brands are
/// two syllables (1024 of them); a search asks for a brand's thing, a
/// handful of products in a catalog of tens of thousands.
const BRAND_HEADS: [&str; 32] = [
    "ar", "bel", "cor", "dal", "el", "fen", "gar", "hal", "is", "jor", "kel", "lum", "mar", "nor",
    "or", "pel", "quin", "ros", "sol", "tor", "ul", "vel", "wil", "xan", "yor", "zel", "bri",
    "cla", "dro", "fla", "glo", "pra",
];
const BRAND_TAILS: [&str; 32] = [
    "ix", "on", "a", "ex", "is", "or", "um", "ar", "io", "en", "yn", "ax", "el", "ine", "us",
    "ova", "ant", "ora", "ent", "ide", "ock", "ane", "ust", "ire", "eon", "ith", "ado", "ero",
    "ise", "ola", "une", "ette",
];

/// Brand `i` of 1024.
#[cfg(test)]
fn brand(i: usize) -> String {
    let mut s = String::new();
    push_brand(&mut s, i);
    s
}

/// Appends brand `i` of 1024 (names are built on hot paths: no `format!`).
fn push_brand(out: &mut String, i: usize) {
    out.push_str(BRAND_HEADS[i % 32]);
    out.push_str(BRAND_TAILS[(i / 32) % 32]);
}

/// A search for brand `b`'s thing `t`: `"{brand} {thing}"`.
pub(super) fn search_text(b: usize, t: usize) -> String {
    let mut s = String::with_capacity(32);
    push_brand(&mut s, b);
    s.push(' ');
    s.push_str(THINGS[t % THINGS.len()]);
    s
}

pub(super) const COLOURS: [&str; 16] = [
    "red", "blue", "green", "black", "white", "grey", "navy", "teal", "amber", "ivory", "olive",
    "coral", "plum", "sand", "slate", "rose",
];
pub(super) const THINGS: [&str; 32] = [
    "lamp",
    "chair",
    "kettle",
    "jacket",
    "sneaker",
    "backpack",
    "watch",
    "headphones",
    "blender",
    "mug",
    "rug",
    "pillow",
    "blanket",
    "speaker",
    "camera",
    "tablet",
    "scarf",
    "boots",
    "vase",
    "planter",
    "wrench",
    "drill",
    "novel",
    "puzzle",
    "console",
    "keyboard",
    "monitor",
    "router",
    "toaster",
    "skillet",
    "candle",
    "mirror",
];

pub(super) fn email_registered(i: u32) -> String {
    email('c', u64::from(i))
}

pub(super) fn email_new(n: u64) -> String {
    email('n', n)
}

/// `"{prefix}{n}@ecsim.test"` in one exact allocation, without the
/// formatting machinery: every registration and login builds one.
fn email(prefix: char, n: u64) -> String {
    const DOMAIN: &str = "@ecsim.test";
    let mut digits = itoa::Buffer::new();
    let n = digits.format(n);
    let mut s = String::with_capacity(1 + n.len() + DOMAIN.len());
    s.push(prefix);
    s.push_str(n);
    s.push_str(DOMAIN);
    s
}

/// The name of product `id`: a brand, a colour, a thing, a model number.
pub(super) fn product_name(id: u32) -> String {
    let h = crate::kernel::rng::mix64(id as u64 ^ 0x5EED);
    let mut s = String::with_capacity(48);
    push_brand(&mut s, (h % 1024) as usize);
    s.push(' ');
    s.push_str(COLOURS[((h >> 10) % 16) as usize]);
    s.push(' ');
    s.push_str(THINGS[((h >> 16) % 32) as usize]);
    s.push_str(" m");
    s.push_str(itoa::Buffer::new().format(id));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_names_have_a_brand_a_colour_a_thing_and_a_model() {
        let n = product_name(7);
        let words: Vec<&str> = n.split(' ').collect();
        assert_eq!(words.len(), 4);
        assert!((0..1024).any(|i| brand(i) == words[0]), "{n}");
        assert!(COLOURS.contains(&words[1]) && THINGS.contains(&words[2]));
        assert_eq!(words[3], "m7");
    }

    #[test]
    fn names_are_the_words_in_order() {
        let h = crate::kernel::rng::mix64(12345 ^ 0x5EED);
        let want = format!(
            "{} {} {} m12345",
            brand((h % 1024) as usize),
            COLOURS[((h >> 10) % 16) as usize],
            THINGS[((h >> 16) % 32) as usize]
        );
        assert_eq!(product_name(12345), want);
        assert_eq!(search_text(33, 1), "belon chair");
        assert_eq!(brand(1023), "praette");
    }

    #[test]
    fn emails_are_a_letter_a_number_and_the_test_domain() {
        assert_eq!(email_registered(0), "c0@ecsim.test");
        assert_eq!(email_registered(u32::MAX), "c4294967295@ecsim.test");
        assert_eq!(email_new(1234567), "n1234567@ecsim.test");
        assert_eq!(email_new(7).capacity(), "n7@ecsim.test".len());
    }

    #[test]
    fn brands_are_distinct_words() {
        let all: std::collections::BTreeSet<String> = (0..1024).map(brand).collect();
        assert_eq!(all.len(), 1024);
        assert!(
            all.iter()
                .all(|b| !COLOURS.contains(&b.as_str()) && !THINGS.contains(&b.as_str()))
        );
    }
}
