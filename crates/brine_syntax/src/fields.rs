//! Children by field (`function`, `arguments`, `body`...) without looking the field's name up at
//! every call: `Node::child_by_field_name` compares the name with each of the grammar's field names
//! (`strncmp`), and a binary search over them by name still cost a tenth of lowering's
//! instructions. The lowerer names fields by [`Field`], whose grammar ids are read once.

use std::num::NonZeroU16;
use std::sync::OnceLock;

use tree_sitter::Node;

/// The grammar fields the lowerer reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Alias,
    Alternative,
    Argument,
    Arguments,
    Attribute,
    Body,
    Condition,
    Consequence,
    Definition,
    Expression,
    Function,
    Key,
    Left,
    ModuleName,
    Name,
    Object,
    Operator,
    Parameters,
    Right,
    Subscript,
    Superclasses,
    Type,
    Value,
}

impl Field {
    const ALL: [Field; 23] = [
        Field::Alias,
        Field::Alternative,
        Field::Argument,
        Field::Arguments,
        Field::Attribute,
        Field::Body,
        Field::Condition,
        Field::Consequence,
        Field::Definition,
        Field::Expression,
        Field::Function,
        Field::Key,
        Field::Left,
        Field::ModuleName,
        Field::Name,
        Field::Object,
        Field::Operator,
        Field::Parameters,
        Field::Right,
        Field::Subscript,
        Field::Superclasses,
        Field::Type,
        Field::Value,
    ];

    /// The field's name in the grammar.
    pub fn name(self) -> &'static str {
        match self {
            Field::Alias => "alias",
            Field::Alternative => "alternative",
            Field::Argument => "argument",
            Field::Arguments => "arguments",
            Field::Attribute => "attribute",
            Field::Body => "body",
            Field::Condition => "condition",
            Field::Consequence => "consequence",
            Field::Definition => "definition",
            Field::Expression => "expression",
            Field::Function => "function",
            Field::Key => "key",
            Field::Left => "left",
            Field::ModuleName => "module_name",
            Field::Name => "name",
            Field::Object => "object",
            Field::Operator => "operator",
            Field::Parameters => "parameters",
            Field::Right => "right",
            Field::Subscript => "subscript",
            Field::Superclasses => "superclasses",
            Field::Type => "type",
            Field::Value => "value",
        }
    }

    /// The field's id in the grammar.
    pub fn id(self) -> NonZeroU16 {
        static IDS: OnceLock<Vec<NonZeroU16>> = OnceLock::new();
        let ids = IDS.get_or_init(|| {
            let language: tree_sitter::Language = tree_sitter_python::LANGUAGE.into();
            Field::ALL
                .iter()
                .map(|field| {
                    language
                        .field_id_for_name(field.name())
                        .unwrap_or_else(|| panic!("the grammar has no field `{}`", field.name()))
                })
                .collect()
        });
        ids[self as usize]
    }
}

/// The child of `node` in `field`, like `Node::child_by_field_name`.
pub fn field(node: Node<'_>, field: Field) -> Option<Node<'_>> {
    node.child_by_field_id(field.id().get())
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
        for each in Field::ALL {
            assert_eq!(
                field(call, each),
                call.child_by_field_name(each.name()),
                "{each:?}"
            );
        }
        assert!(field(call, Field::Function).is_some());
        assert!(field(call, Field::Arguments).is_some());
    }
}
