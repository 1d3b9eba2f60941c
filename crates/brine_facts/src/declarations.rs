//! A file's declarations: what other modules see of it without reading its code.
//!
//! An edit inside a function body of `modeling_utils.py` changes its facts, and every result that
//! read any of them had to be verified again, down to every model class that imports
//! `PreTrainedModel` from it. What those importers read is only which names the module and its
//! class bodies bind, and to what: a class, a function, an import. Those are the file's
//! *declarations*, and the analysis reads them name by name (`Dep::Declared` in
//! `brine_analysis`): a read holds across an edit that leaves that name's declarations equal.
//!
//! The declarations of a file are:
//! - its *shape*: the module's star imports, and the scope of each class (a `ClassMember` key
//!   names a class by id and reads its body's scope);
//! - per name bound in the module scope or in a class scope: the ids of its bindings there, each
//!   with its scope of origin, whether it is unconditional, and what it declares when it is a
//!   `class`, a `def` or an `import` (the import's target included).
//!
//! What `x = value` binds is read from the code: a result that evaluates it depends on the whole
//! file, so of such a binding only that it declares nothing is compared. A read of anything else
//! (an expression, a function's parameters, a binding performed in a function) depends on the
//! whole file too.

use crate::facts::*;

/// How an edit changed a file's declarations (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeclarationsChange {
    /// Every declaration is the same: only code changed.
    Same,
    /// The declarations of these names, each in its scope (the module or a class body), changed;
    /// the shape and every other name are the same.
    Names(Vec<(ScopeId, Name)>),
    /// The shape changed: a class was added or removed, or the star imports changed.
    Everything,
}

impl FileFacts {
    /// How the declarations of `new` differ from those of `self`, ids included: a result that
    /// read only declarations that are the same holds for `new`.
    pub fn declarations_change(&self, new: &FileFacts) -> DeclarationsChange {
        let same_shape = self.star_imports == new.star_imports
            && self.classes.len() == new.classes.len()
            && (self.classes.iter())
                .zip(&new.classes)
                .all(|(old, new)| old.scope == new.scope);
        if !same_shape {
            return DeclarationsChange::Everything;
        }
        let class_scopes = self.classes.iter().map(|class| class.scope);
        let mut changed = Vec::new();
        for scope in std::iter::once(FileFacts::MODULE_SCOPE).chain(class_scopes) {
            if scope.index() >= self.scopes.len() || scope.index() >= new.scopes.len() {
                return DeclarationsChange::Everything;
            }
            self.changed_names(new, scope, &mut changed);
        }
        if changed.is_empty() {
            DeclarationsChange::Same
        } else {
            DeclarationsChange::Names(changed)
        }
    }

    /// The scope whose declarations a read of `binding` depends on, when it is a declaration: a
    /// `class`, `def` or `import` performed by module or class-body code, listed under its name
    /// in that scope. Any other binding is read from the code.
    pub fn declaring_scope(&self, binding: BindingId) -> Option<ScopeId> {
        let data = self.binding(binding);
        let scope = data.origin;
        let declares = is_declaration(&data.kind)
            && matches!(
                self.scopes.get(scope.index()).map(|scope| &scope.kind),
                Some(ScopeKind::Module | ScopeKind::Class(_))
            )
            && self
                .scope_names(scope)
                .get(data.name)
                .is_some_and(|bindings| bindings.contains(&binding));
        declares.then_some(scope)
    }

    /// Pushes onto `changed` the names of `scope` whose declarations differ in `new`. Both tables
    /// are sorted by the names' ids: one merge.
    fn changed_names(&self, new: &FileFacts, scope: ScopeId, changed: &mut Vec<(ScopeId, Name)>) {
        let mut old_names = self.scope_names(scope).iter().peekable();
        let mut new_names = new.scope_names(scope).iter().peekable();
        loop {
            let (name, same) = match (old_names.peek(), new_names.peek()) {
                (None, None) => return,
                (Some(&(old_name, old)), Some(&(new_name, new_bindings)))
                    if old_name == new_name =>
                {
                    old_names.next();
                    new_names.next();
                    (old_name, self.same_bindings(new, old, new_bindings))
                }
                (Some(&(old_name, _)), Some(&(new_name, _))) if old_name.id() < new_name.id() => {
                    old_names.next();
                    (old_name, false)
                }
                (Some(&(old_name, _)), None) => {
                    old_names.next();
                    (old_name, false)
                }
                (_, Some(&(new_name, _))) => {
                    new_names.next();
                    (new_name, false)
                }
            };
            if !same {
                changed.push((scope, name));
            }
        }
    }

    /// True when the bindings of a name are the same ids and declare the same things.
    fn same_bindings(&self, new: &FileFacts, old: &[BindingId], new_ids: &[BindingId]) -> bool {
        old == new_ids
            && old.iter().all(|&id| {
                let (old, new_binding) = (self.binding(id), new.binding(id));
                old.name == new_binding.name
                    && old.origin == new_binding.origin
                    && old.unconditional == new_binding.unconditional
                    && match (&old.kind, &new_binding.kind) {
                        (BindingKind::Import(old_import), BindingKind::Import(new_import)) => {
                            self.import(*old_import) == new.import(*new_import)
                        }
                        (old_kind, new_kind) if is_declaration(old_kind) => old_kind == new_kind,
                        // What `x = value` binds is read from the code (a dependency on the
                        // whole file): only that it is no declaration is compared, so an edit
                        // that renumbers the expressions keeps the declarations the same.
                        (_, new_kind) => !is_declaration(new_kind),
                    }
            })
    }
}

/// True for the kinds of binding whose value is read from the declarations: a `class`, a `def`,
/// an `import`.
fn is_declaration(kind: &BindingKind) -> bool {
    matches!(
        kind,
        BindingKind::Class(_) | BindingKind::Function(_) | BindingKind::Import(_)
    )
}

#[cfg(test)]
mod tests {
    use super::DeclarationsChange;
    use crate::lower_text;

    const BASE: &str = "\
import os
from pkg import helper

LIMIT = 3

class Model(Base):
    kind = 'model'

    def load(self, path):
        data = open(path).read()
        return data

    def save(self, path):
        pass

def build(name):
    return Model()

AFTER = build('x')
";

    /// What changes in the declarations of `BASE` with `from` replaced by `to`: the names that
    /// changed, or `*` when everything did.
    fn changed_after(from: &str, to: &str) -> Vec<String> {
        assert!(BASE.contains(from), "{from:?} is not in the fixture");
        let new = lower_text(&BASE.replacen(from, to, 1));
        match lower_text(BASE).declarations_change(&new) {
            DeclarationsChange::Same => vec![],
            DeclarationsChange::Everything => vec!["*".to_owned()],
            DeclarationsChange::Names(names) => {
                let mut names: Vec<String> =
                    names.iter().map(|(_, name)| name.to_string()).collect();
                names.sort();
                names
            }
        }
    }

    #[test]
    fn an_edit_inside_a_function_body_keeps_the_declarations() {
        for (from, to) in [
            ("open(path).read()", "open(path).read(2)"),
            ("open(path).read()", "open(path, 'rb').read() + extra(path)"),
            ("        return data\n", "        return data  # comment\n"),
            ("        pass", "        helper(path).save(self)"),
            ("return Model()", "return Model(name)"),
            // A module-level value is read from the code, not from the declarations.
            ("LIMIT = 3", "LIMIT = 4 + len(os.sep)"),
        ] {
            assert_eq!(
                changed_after(from, to),
                Vec::<String>::new(),
                "{from:?} -> {to:?}"
            );
        }
    }

    #[test]
    fn a_new_or_changed_declaration_changes_its_names() {
        for (from, to, names) in [
            // A renamed method or function.
            ("def save(self", "def store(self", &["save", "store"][..]),
            ("def build(name)", "def make(name)", &["build", "make"]),
            // An import that names something else.
            (
                "from pkg import helper",
                "from pkg.sub import helper",
                &["helper"],
            ),
            ("import os", "import sys as os", &["os"]),
            // A binding made conditional.
            ("LIMIT = 3", "if os:\n    LIMIT = 3", &["LIMIT"]),
            // Bindings are numbered through the file and the scopes list them by number: a new
            // binding renumbers the declarations after it, which changes them too (a result
            // keyed by a binding's number must not be read for another binding).
            (
                "        pass",
                "        x = helper(path)",
                &["AFTER", "build"],
            ),
            (
                "LIMIT = 3",
                "LIMIT = 3\nOTHER = 4",
                &["AFTER", "Model", "OTHER", "build", "kind", "load", "save"],
            ),
            (
                "kind = 'model'",
                "kind = 'model'\n    other = 1",
                &["AFTER", "build", "load", "other", "save"],
            ),
            // A `global` that binds a module name from a function.
            (
                "        pass",
                "        global LIMIT\n        LIMIT = 4",
                &["AFTER", "LIMIT", "build"],
            ),
            // A new class, function scope before a class (which renumbers the class's scope), or
            // star import changes the shape.
            ("def build", "class Other:\n    pass\n\ndef build", &["*"]),
            ("LIMIT = 3", "def LIMIT(): pass", &["*"]),
            ("import os\n", "import os\nfrom pkg import *\n", &["*"]),
        ] {
            assert_eq!(changed_after(from, to), names, "{from:?} -> {to:?}");
        }
    }
}
