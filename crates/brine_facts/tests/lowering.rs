//! Lowering tests: what facts a snippet produces, and that hostile nesting stays bounded.

use brine_facts::*;

fn names_in_module(facts: &FileFacts) -> Vec<String> {
    let mut names: Vec<String> = facts
        .scope_names(FileFacts::MODULE_SCOPE)
        .keys()
        .map(|n| n.to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn imports_bind_the_right_names() {
    let facts = lower_text(
        "import torch.serialization\nimport numpy as np\nfrom yaml import load as L, SafeLoader\nfrom ..pkg import mod\n",
    );
    assert_eq!(
        names_in_module(&facts),
        ["L", "SafeLoader", "mod", "np", "torch"]
    );
    let scope = facts.scope_names(FileFacts::MODULE_SCOPE);
    let kind = |name: &str| match facts.binding(scope[name][0]).kind {
        BindingKind::Import(import) => facts.import(import).clone(),
        ref other => panic!("{name} is bound by {other:?}"),
    };
    assert_eq!(
        kind("torch"),
        ImportTarget {
            level: 0,
            module: "torch".into(),
            member: None
        }
    );
    assert_eq!(
        kind("L"),
        ImportTarget {
            level: 0,
            module: "yaml".into(),
            member: Some("load".into())
        }
    );
    assert_eq!(
        kind("mod"),
        ImportTarget {
            level: 2,
            module: "pkg".into(),
            member: Some("mod".into())
        }
    );
}

#[test]
fn calls_record_arguments_and_trailing_commas() {
    let facts = lower_text("torch.load(\n    p,\n    weights_only=True,\n)\nf(*a, **k)\n");
    assert_eq!(facts.calls.len(), 2);
    let load = &facts.calls[0];
    assert!(load.trailing_comma);
    assert!(matches!(
        facts.expr(facts.args(load).keyword("weights_only").unwrap().value),
        Expr::Bool(true)
    ));
    assert_eq!(facts.callee_name(CallId(0)), Some("load"));
    let f = facts.args(&facts.calls[1]);
    assert_eq!(f[0].kind, ArgKind::Star);
    assert_eq!(f[1].kind, ArgKind::DoubleStar);
}

#[test]
fn global_bindings_move_to_the_module_scope() {
    let facts = lower_text("pickle = None\ndef init():\n    global pickle\n    import pickle\n");
    let module = facts.scope_names(FileFacts::MODULE_SCOPE);
    assert_eq!(module["pickle"].len(), 2);
    let moved = facts.binding(module["pickle"][1]);
    assert!(!moved.unconditional);
}

#[test]
fn conditional_bindings_are_marked() {
    let facts = lower_text("a = 1\nif x:\n    b = 2\ntry:\n    import cPickle as c\nexcept ImportError:\n    import pickle as c\n");
    let module = facts.scope_names(FileFacts::MODULE_SCOPE);
    assert!(facts.binding(module["a"][0]).unconditional);
    assert!(!facts.binding(module["b"][0]).unconditional);
    assert_eq!(module["c"].len(), 2);
}

#[test]
fn strings_concatenate_and_fstrings_keep_parts() {
    let facts = lower_text("A = 'ab' 'cd'\nB = f'./{x}'\n");
    assert!(facts
        .exprs
        .iter()
        .any(|e| matches!(e, Expr::Str(s) if facts.string(*s) == "abcd")));
    assert!(facts.exprs.iter().any(
        |e| matches!(e, Expr::FString(parts) if facts.fstring(*parts)[0] == FStringPart::Literal("./".into()))
    ));
}

#[test]
fn calls_inside_broken_code_are_kept() {
    let facts = lower_text("def f(:\n    x = (\nimport pickle\npickle.loads(data)\n");
    assert!(facts.has_syntax_errors);
    assert!(facts
        .call_ids()
        .any(|c| facts.callee_name(c) == Some("loads")));
}

#[test]
fn deep_nesting_is_bounded() {
    let depth = 50_000;
    let text = format!("x = {}1{}\n", "(".repeat(depth), ")".repeat(depth));
    let facts = lower_text(&text);
    assert!(!facts.exprs.is_empty());
    let text = format!("x = {}1{}\n", "[".repeat(depth), "]".repeat(depth));
    lower_text(&text);
    let mut nested = String::new();
    for level in 0..3000 {
        nested.push_str(&" ".repeat(level));
        nested.push_str(&format!("def f{level}():\n"));
    }
    nested.push_str(&" ".repeat(3000));
    nested.push_str("pass\n");
    // tree-sitter-python's scanner stops tracking indentation a few hundred levels deep and turns the
    // rest into errors; lowering must still finish and keep what was parsed.
    let facts = lower_text(&nested);
    assert!(facts.functions.len() >= 500);
}

#[test]
fn nested_functions_keep_their_own_parameters_decorators_and_returns() {
    // The lambda and `inner` are lowered in the middle of `outer`'s lists.
    let facts = lower_text(
        "@deco\ndef outer(a, b=lambda x: x):\n    def inner(c):\n        return c\n    if a:\n        return inner\n    return b\n",
    );
    let names = |exprs: &[ExprId]| -> Vec<String> {
        exprs
            .iter()
            .map(|&e| match facts.expr(e) {
                Expr::Name { name, .. } => name.to_string(),
                other => format!("{other:?}"),
            })
            .collect()
    };
    let function = |name: &str| facts.functions.iter().find(|f| &*f.name == name).unwrap();
    let params = |name: &str| -> Vec<String> {
        (facts.params(function(name)).iter())
            .map(|p| p.name.to_string())
            .collect()
    };
    assert_eq!(params("outer"), ["a", "b"]);
    assert_eq!(names(facts.decorators(function("outer"))), ["deco"]);
    assert_eq!(names(facts.returns(function("outer"))), ["inner", "b"]);
    assert_eq!(params("<lambda>"), ["x"]);
    assert_eq!(names(facts.returns(function("<lambda>"))), ["x"]);
    assert_eq!(params("inner"), ["c"]);
    assert_eq!(names(facts.returns(function("inner"))), ["c"]);
    assert!(facts.decorators(function("inner")).is_empty());
}

#[test]
fn parameter_annotations_and_defaults_are_lowered() {
    let facts = lower_text("def f(file: UploadFile = File(...), *, n: int = 3):\n    pass\n");
    let params = facts.params(&facts.functions[0]);
    assert!(
        matches!(facts.expr(params[0].annotation.unwrap()), Expr::Name { name, .. } if &**name == "UploadFile")
    );
    assert!(matches!(
        facts.expr(params[0].default.unwrap()),
        Expr::Call(_)
    ));
    assert_eq!(params[1].kind, ParamKind::KeywordOnly);
}

#[test]
fn digest_checks_are_verifications() {
    let facts = lower_text(
        "def f(data):\n    if hashlib.sha256(data).hexdigest() != EXPECTED:\n        raise ValueError()\n    return data\n",
    );
    assert_eq!(facts.verifications.len(), 1);
    assert_eq!(&*facts.verifications[0].names[0], "data");
    let facts = lower_text("def f(data):\n    if hashlib.sha256(data).hexdigest() != EXPECTED:\n        log()\n    return data\n");
    assert!(
        facts.verifications.is_empty(),
        "a check that falls through verifies nothing"
    );
}

#[test]
fn every_bound_name_is_found_by_its_id() {
    // Interned out of order, so that ids and strings sort differently.
    let source: String = (0..60)
        .rev()
        .map(|i| format!("name_{i} = {i}\nname_{i} = -{i}\n"))
        .collect();
    let facts = lower_text(&source);
    let module = facts.scope_names(FileFacts::MODULE_SCOPE);
    for i in 0..60 {
        let bindings = module.get(intern(&format!("name_{i}"))).unwrap();
        assert_eq!(bindings.len(), 2);
        assert!(bindings
            .iter()
            .all(|&b| facts.binding(b).name == format!("name_{i}").as_str()));
    }
    assert!(module.get(intern("never_bound")).is_none());
    assert_eq!(module.keys().count(), 60);
}
