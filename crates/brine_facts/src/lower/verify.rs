//! Recognising digest checks (`hashlib....hexdigest() != EXPECTED`, `hmac.compare_digest`) that make a
//! value verified, by looking at an `if` or `assert` condition's syntax.

use brine_syntax::{field, Field, Node, NodeKind, TextRange};

use super::{code_children, code_range, first_code_child, Lowerer};
use crate::facts::*;

/// How many nodes of a condition are inspected; real conditions are tiny.
const MAX_CONDITION_NODES: usize = 256;

impl<'a> Lowerer<'a> {
    /// Records a verification for an `if` statement whose condition compares a digest, or for an
    /// `assert` of one (`verified_after` is then the statement's end).
    pub(super) fn record_verification(&mut self, statement: Node, scope: ScopeId) {
        let is_assert = statement.kind_name() == "assert_statement";
        let condition = if is_assert {
            first_code_child(statement)
        } else {
            field(statement, Field::Condition)
        };
        let Some(condition) = condition else { return };
        let (names, negated) = self.digest_subjects(condition);
        if names.is_empty() {
            return;
        }
        let end = code_range(statement, self.text).end;
        let verified = if is_assert || negated {
            // `if digest != EXPECTED: raise` (or `assert digest == EXPECTED`): verified after the check,
            // provided the body cannot fall through.
            let body = field(statement, Field::Consequence);
            if !is_assert && !body.is_some_and(|b| self.always_exits(b)) {
                return;
            }
            TextRange::new(end, u32::MAX)
        } else {
            match field(statement, Field::Consequence) {
                Some(body) => code_range(body, self.text),
                None => return,
            }
        };
        self.facts.verifications.push(Verification {
            scope,
            names,
            verified,
        });
    }

    /// The names hashed or compared in a digest comparison, and whether the comparison is negated
    /// (`!=`, `not compare_digest(...)`).
    fn digest_subjects(&mut self, condition: Node) -> (Vec<Name>, bool) {
        let text = self.node_text(condition);
        let negated = text.contains("!=") || text.trim_start().starts_with("not ");
        let compares =
            text.contains("==") || text.contains("!=") || text.contains("compare_digest");
        if !compares || !(text.contains("digest") || text.contains("hashlib")) {
            return (Vec::new(), false);
        }
        let mut names = Vec::new();
        let mut stack = vec![condition];
        let mut seen = 0;
        while let Some(node) = stack.pop() {
            seen += 1;
            if seen > MAX_CONDITION_NODES {
                break;
            }
            if node.kind_name() == "call" {
                let callee = field(node, Field::Function)
                    .map(|f| self.node_text(f))
                    .unwrap_or_default();
                let hashes = callee.starts_with("hashlib.")
                    || callee.ends_with("compare_digest")
                    || matches!(
                        callee,
                        "sha256" | "sha512" | "sha1" | "md5" | "blake2b" | "file_digest"
                    );
                if hashes {
                    if let Some(arguments) = field(node, Field::Arguments) {
                        let mut cursor = arguments.walk();
                        for argument in code_children(arguments, &mut cursor) {
                            if argument.kind_name() == "identifier" {
                                let name = self.intern(self.node_text(argument));
                                names.push(name);
                            }
                        }
                    }
                }
            }
            let mut cursor = node.walk();
            stack.extend(code_children(node, &mut cursor));
        }
        (names, negated)
    }

    /// True when a block ends in `raise`, `return`, `continue` or `break`.
    fn always_exits(&self, block: Node) -> bool {
        let mut cursor = block.walk();
        let last = code_children(block, &mut cursor).last();
        last.is_some_and(|n| {
            matches!(
                n.kind_name(),
                "raise_statement" | "return_statement" | "continue_statement" | "break_statement"
            ) || (n.kind_name() == "expression_statement"
                && self.node_text(n).starts_with("sys.exit"))
        })
    }
}
