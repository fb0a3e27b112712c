//! Checks on generated text (configuration files, command lines), shared by the unit tests
//! of the harness's users: which expected parts a text lacks.

/// The `parts` that `text` does not contain, in order (empty when it has them all).
pub fn missing_parts<'a>(text: &str, parts: &[&'a str]) -> Vec<&'a str> {
    parts
        .iter()
        .copied()
        .filter(|part| !text.contains(part))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_parts_the_text_lacks_are_listed() {
        assert_eq!(
            missing_parts("a = 1\nb = 2\n", &["a = 1", "c = 3", "b = 2"]),
            ["c = 3"]
        );
        assert!(missing_parts("anything", &[]).is_empty());
    }
}
