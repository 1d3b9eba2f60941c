//! Node kinds without tree-sitter's C string: `Node::kind` measures the grammar's name of the kind
//! (`strlen`) and checks it is UTF-8 on every call, which was a tenth of lowering's time. The names
//! are read from the grammar once, indexed by kind id.

use std::sync::OnceLock;

use tree_sitter::Node;

/// `Node::kind` by table: the same names, for every node.
pub trait NodeKind {
    fn kind_name(&self) -> &'static str;
}

impl NodeKind for Node<'_> {
    fn kind_name(&self) -> &'static str {
        static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
        let names = NAMES.get_or_init(|| {
            let language: tree_sitter::Language = tree_sitter_python::LANGUAGE.into();
            (0..language.node_kind_count() as u16)
                .map(|id| language.node_kind_for_id(id).unwrap_or(""))
                .collect()
        });
        match names.get(usize::from(self.kind_id())) {
            Some(name) => name,
            // Error nodes have ids past the grammar's kinds.
            None => self.kind(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ParsedFile;

    #[test]
    fn kind_names_are_the_ones_tree_sitter_gives() {
        let parsed = ParsedFile::parse(
            "import a as b\n@d\nasync def f(x, *y, **z):\n    return [i async for i in x if i], f'{x!r}'\nclass C(B, metaclass=M): pass\nf(((\n".to_owned(),
        );
        let mut stack = vec![parsed.tree().root_node()];
        let mut seen = 0;
        while let Some(node) = stack.pop() {
            assert_eq!(node.kind_name(), node.kind());
            seen += 1;
            let mut cursor = node.walk();
            stack.extend(node.children(&mut cursor));
        }
        assert!(seen > 50, "{seen} nodes");
        assert!(
            parsed.tree().root_node().has_error(),
            "the walk met an error node"
        );
    }
}
