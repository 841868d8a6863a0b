//! English verb forms the catalog does not store (SPEC 10's `verbSingular`, `verbProgressive`),
//! derived from a metric's present-tense verb.

/// "plant" -> "plants", "reach" -> "reaches", "carry" -> "carries"; the first word of a phrasal
/// verb ("give back" -> "gives back").
pub fn third_person(verb: &str) -> String {
    let (head, tail) = split_phrase(verb);
    let form = if ["s", "x", "z", "ch", "sh", "o"]
        .iter()
        .any(|end| head.ends_with(end))
    {
        format!("{head}es")
    } else if ends_consonant_y(head) {
        format!("{}ies", &head[..head.len() - 1])
    } else {
        format!("{head}s")
    };
    format!("{form}{tail}")
}

/// "plant" -> "planting", "serve" -> "serving", "provide" -> "providing", "tie" -> "tying",
/// "plan" -> "planning".
pub fn progressive(verb: &str) -> String {
    let (head, tail) = split_phrase(verb);
    let chars: Vec<char> = head.chars().collect();
    let n = chars.len();
    let form = if let Some(stem) = head.strip_suffix("ie") {
        format!("{stem}ying")
    } else if head.ends_with('e') && !head.ends_with("ee") && !head.ends_with("ye") && n > 2 {
        format!("{}ing", &head[..head.len() - 1])
    } else if n >= 3
        && is_vowel(chars[n - 2])
        && !is_vowel(chars[n - 1])
        && !is_vowel(chars[n - 3])
        && !"wxy".contains(chars[n - 1])
        && chars.iter().filter(|c| is_vowel(**c)).count() == 1
    {
        format!("{head}{}ing", chars[n - 1])
    } else {
        format!("{head}ing")
    };
    format!("{form}{tail}")
}

fn split_phrase(verb: &str) -> (&str, &str) {
    let verb = verb.trim();
    verb.find(' ').map_or((verb, ""), |i| verb.split_at(i))
}

fn is_vowel(c: char) -> bool {
    "aeiouAEIOU".contains(c)
}

fn ends_consonant_y(word: &str) -> bool {
    let chars: Vec<char> = word.chars().collect();
    chars.len() >= 2 && chars[chars.len() - 1] == 'y' && !is_vowel(chars[chars.len() - 2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_verb_forms() {
        for (verb, singular, progressive_form) in [
            ("plant", "plants", "planting"),
            ("collect", "collects", "collecting"),
            ("remove", "removes", "removing"),
            ("provide", "provides", "providing"),
            ("serve", "serves", "serving"),
            ("reach", "reaches", "reaching"),
            ("carry", "carries", "carrying"),
            ("plan", "plans", "planning"),
            ("tie", "ties", "tying"),
            ("give back", "gives back", "giving back"),
        ] {
            assert_eq!(third_person(verb), singular, "{verb}");
            assert_eq!(progressive(verb), progressive_form, "{verb}");
        }
    }
}
