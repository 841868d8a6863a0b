//! Domain types parsed at the boundary: amounts, impact arithmetic, the session state machine.

pub mod catalog;
pub mod impact;
pub mod month;
pub mod session;

/// Smallest and largest amount in cents that any amount field accepts.
pub const MIN_AMOUNT: i64 = 1;
pub const MAX_AMOUNT: i64 = 1_000_000_000;

/// Generates a ULID for the given instant (microseconds), so ids sort with creation time.
/// Ids made within one millisecond increase, so a batch lists in request order.
pub fn new_id(now_micros: i64) -> String {
    static GENERATOR: std::sync::Mutex<Option<ulid::Generator>> = std::sync::Mutex::new(None);
    let millis = u64::try_from(now_micros / 1000).unwrap_or(0);
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_millis(millis);
    let generated = GENERATOR.lock().ok().and_then(|mut g| {
        g.get_or_insert_with(ulid::Generator::new)
            .generate_from_datetime(time)
            .ok()
    });
    generated
        .unwrap_or_else(|| ulid::Ulid::from_datetime(time))
        .to_string()
}

/// The smallest ULID of `micros`'s millisecond. An id from [`new_id`] is never below the one made
/// this way from its own `now_micros` (the generator only ever moves an id's time forward), so
/// `id < first_id_at(t)` holds only for rows made before `t`, and every row made at or after `t`
/// has `id >= first_id_at(t)`: a range on the id stands in for one on the creation time.
pub fn first_id_at(micros: i64) -> String {
    let millis = u64::try_from(micros.div_euclid(1000)).unwrap_or(0);
    ulid::Ulid::from_parts(millis, 0).to_string()
}

/// The id just after `id` (a ULID, one more), or `None` past the largest. Deliveries of an
/// endpoint take ids above every id it has, so that they increase in commit order even across
/// processes (see `store::events::queue`).
pub fn id_after(id: &str) -> Option<String> {
    ulid::Ulid::from_string(id)
        .ok()
        .and_then(|u| u.0.checked_add(1))
        .map(|n| ulid::Ulid(n).to_string())
}

/// The id just before `id` (a ULID, one less); the empty string, below every id, for the
/// smallest or for text that is not a ULID.
pub fn id_before(id: &str) -> String {
    ulid::Ulid::from_string(id)
        .ok()
        .and_then(|u| u.0.checked_sub(1))
        .map(|n| ulid::Ulid(n).to_string())
        .unwrap_or_default()
}

/// Parses a path id; anything that is not a ULID names no object (404 at the call site).
/// 26 base32 characters hold 130 bits and a ULID 128, so the first character is 0-7: the ULID spec
/// rejects larger values, and the crate would drop their high bits (`8ZZ...` would alias `0ZZ...`).
pub fn parse_id(raw: &str) -> Option<String> {
    if !matches!(raw.as_bytes().first(), Some(b'0'..=b'7')) {
        return None;
    }
    ulid::Ulid::from_string(raw).ok().map(|u| u.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neighbouring_ids() {
        let id = new_id(1_700_000_000_000_000);
        let after = id_after(&id).expect("not the largest");
        assert!(after > id);
        assert_eq!(id_before(&after), id);
        assert_eq!(id_before("00000000000000000000000000"), "");
        assert_eq!(id_after("7ZZZZZZZZZZZZZZZZZZZZZZZZZ"), None);
        // Across a carry, in text order too.
        assert_eq!(
            id_after("0000000000000000000000000Z").as_deref(),
            Some("00000000000000000000000010")
        );
    }

    #[test]
    fn ids_are_ulids_ordered_by_time() {
        let a = new_id(1_700_000_000_000_000);
        let b = new_id(1_700_000_001_000_000);
        assert_eq!(a.len(), 26);
        assert!(a < b);
        assert_eq!(parse_id(&a), Some(a.clone()));
        assert_eq!(parse_id(&a.to_lowercase()), Some(a));
        assert_eq!(parse_id("not-a-ulid"), None);
        assert!(parse_id("7ZZZZZZZZZZZZZZZZZZZZZZZZZ").is_some());
        assert_eq!(parse_id("8ZZZZZZZZZZZZZZZZZZZZZZZZZ"), None);
        assert_eq!(parse_id("zZZZZZZZZZZZZZZZZZZZZZZZZZ"), None);
    }
}
