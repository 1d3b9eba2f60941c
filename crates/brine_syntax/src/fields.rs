//! Children by field name without tree-sitter's lookup of the name: `Node::child_by_field_name`
//! compares the name with each of the grammar's field names (`strncmp`) on every call, which was a
//! twentieth of lowering's time. The ids are read from the grammar once.

use std::sync::OnceLock;

use tree_sitter::Node;

/// The child of `node` in field `name` (`function`, `arguments`, `body`...), like
/// `Node::child_by_field_name`.
pub fn field<'t>(node: Node<'t>, name: &str) -> Option<Node<'t>> {
    node.child_by_field_id(field_id(name)?)
}

fn field_id(name: &str) -> Option<u16> {
    static FIELDS: OnceLock<Vec<(&'static str, u16)>> = OnceLock::new();
    let fields = FIELDS.get_or_init(|| {
        let language: tree_sitter::Language = tree_sitter_python::LANGUAGE.into();
        let mut fields: Vec<(&'static str, u16)> = (1..=language.field_count() as u16)
            .filter_map(|id| Some((language.field_name_for_id(id)?, id)))
            .collect();
        fields.sort_unstable();
        fields
    });
    fields
        .binary_search_by(|(field, _)| (*field).cmp(name))
        .ok()
        .map(|index| fields[index].1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ParsedFile;

    #[test]
    fn fields_are_the_ones_tree_sitter_names() {
        let parsed = ParsedFile::parse("f(x)\n".to_owned());
        let call = parsed
            .tree()
            .root_node()
            .named_descendant_for_byte_range(0, 4)
            .expect("the call");
        assert_eq!(call.kind(), "call");
        for name in ["function", "arguments", "body", "no_such_field"] {
            assert_eq!(field(call, name), call.child_by_field_name(name), "{name}");
        }
        assert!(field(call, "function").is_some());
    }
}
