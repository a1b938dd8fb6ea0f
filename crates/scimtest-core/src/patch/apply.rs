//! The PATCH apply engine (RFC 7644 §3.5.2.1–§3.5.2.3, docs/patch-semantics.md).

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::error::{PatchError, ScimType};
use super::mode::PatchOptions;
use super::request::{OpKind, Operation, PatchRequest};
use crate::filter::{
    CompValue, CompareOp, CompiledFilter, Filter, ParseOptions, PathExpr, Test, compile_value_filter, parse_path,
};
use crate::schema::{Attribute, AttributeType, Mutability, Owner, ResourceSchema, Schema, get_ci, split_urn};
use crate::value::{self, is_present, is_unassigned as is_empty};

/// The result of a successful PATCH.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub resource: Value,
    /// Whether the resource differs from the one given: a server keeps `meta.lastModified` and the
    /// version when it does not (RFC 7644 §3.5.2.1).
    pub changed: bool,
}

/// Applies `request` to `resource` atomically: on error the caller's resource is untouched.
pub fn apply(
    resource: &Value,
    request: &PatchRequest,
    schema: &ResourceSchema,
    options: &PatchOptions,
) -> Result<Outcome, PatchError> {
    let Value::Object(original) = resource else {
        return Err(PatchError::new(ScimType::InvalidValue, "the resource to patch is not a JSON object"));
    };
    let engine = Engine { schema, options };
    let mut work = original.clone();
    for (i, op) in request.operations.iter().enumerate() {
        // What was required and present, not a copy of the resource: a group of 1,000 members is copied
        // once per request, not once per operation.
        let required_before = engine.required_present(&work);
        engine.operation(&mut work, op).map_err(|e| e.in_operation(i))?;
        engine.check_required(&required_before, &work).map_err(|e| e.in_operation(i))?;
    }
    engine.sync_schemas(original, &mut work);
    let resource_after = Value::Object(work);
    let changed = resource_after != *resource;
    Ok(Outcome { resource: resource_after, changed })
}

/// Parses a PatchOp message and applies it.
pub fn apply_json(
    resource: &Value,
    patch: &Value,
    schema: &ResourceSchema,
    options: &PatchOptions,
) -> Result<Outcome, PatchError> {
    apply(resource, &PatchRequest::from_json(patch, options)?, schema, options)
}

fn err(scim_type: ScimType, detail: impl Into<String>) -> PatchError {
    PatchError::new(scim_type, detail)
}

/// What a path designates.
enum Target<'s> {
    /// A whole extension object (`urn:…:enterprise:2.0:User`).
    Extension(&'s Schema),
    Attr {
        /// The extension URN the attribute sits under.
        container: Option<&'s str>,
        attr: &'s Attribute,
        filter: Option<Box<(CompiledFilter<'s>, Filter)>>,
        sub: Option<&'s Attribute>,
    },
}

struct Engine<'s, 'o> {
    schema: &'s ResourceSchema,
    options: &'o PatchOptions,
}

fn key_ci(map: &Map<String, Value>, name: &str) -> Option<String> {
    get_ci(map, name).map(|(k, _)| k.clone())
}

/// The object an attribute lives in: the resource itself, or its extension object.
fn container<'m>(
    root: &'m mut Map<String, Value>,
    urn: Option<&str>,
    create: bool,
) -> Option<&'m mut Map<String, Value>> {
    let Some(urn) = urn else { return Some(root) };
    let key = match key_ci(root, urn) {
        Some(k) => k,
        None if create => {
            root.insert(urn.to_string(), Value::Object(Map::new()));
            urn.to_string()
        }
        None => return None,
    };
    let slot = root.get_mut(&key).expect("key exists");
    if !slot.is_object() {
        if !create {
            return None;
        }
        *slot = Value::Object(Map::new());
    }
    slot.as_object_mut()
}

fn remove_key(map: &mut Map<String, Value>, name: &str) -> Option<Value> {
    key_ci(map, name).and_then(|k| map.shift_remove(&k))
}

/// Sets `name` (keeping an existing key's spelling) or removes it when `value` holds nothing.
fn set_key(map: &mut Map<String, Value>, name: &str, value: Value) {
    if is_empty(&value) {
        remove_key(map, name);
        return;
    }
    match key_ci(map, name) {
        Some(k) => {
            map.insert(k, value);
        }
        None => {
            map.insert(name.to_string(), value);
        }
    }
}

fn describe(attr: &Attribute, sub: Option<&Attribute>) -> String {
    match sub {
        Some(s) => format!("{}.{}", attr.name, s.name),
        None => attr.name.clone(),
    }
}

impl<'s> Engine<'s, '_> {
    fn operation(&self, root: &mut Map<String, Value>, op: &Operation) -> Result<(), PatchError> {
        let Some(path) = &op.path else {
            return match (op.op, &op.value) {
                (OpKind::Remove, _) => Err(err(ScimType::NoTarget, "`remove` needs a `path` (RFC 7644 §3.5.2.2)")),
                (_, Some(value)) => self.pathless(root, op.op, value),
                (_, None) => Err(err(ScimType::InvalidSyntax, format!("`{}` needs a `value`", op.op))),
            };
        };
        let text = op.path_text.as_deref().unwrap_or_default();
        let target = self.resolve(path, text)?;
        match op.op {
            OpKind::Remove => self.remove(root, &target, op.value.as_ref()),
            kind => self.write(root, &target, kind, op.value.as_ref().unwrap_or(&Value::Null), text),
        }
    }

    fn resolve(&self, path: &PathExpr, text: &str) -> Result<Target<'s>, PatchError> {
        let a = &path.attr;
        if path.filter.is_none()
            && a.sub_attr.is_none()
            && let Some(uri) = &a.uri
            && let Some(ext) = self.schema.extension(&format!("{uri}:{}", a.name))
        {
            return Ok(Target::Extension(ext));
        }
        let r = self
            .schema
            .resolve(a.uri.as_deref(), &a.name, a.sub_attr.as_deref())
            .map_err(|e| err(ScimType::InvalidPath, format!("path `{text}`: {e}")))?;
        let container = r.owner.container();
        let attr = r.attribute;
        let Some(f) = &path.filter else {
            return Ok(Target::Attr { container, attr, filter: None, sub: r.sub_attribute });
        };
        if !(attr.is_complex() && attr.multi_valued) {
            return Err(err(
                ScimType::InvalidPath,
                format!(
                    "path `{text}`: value filters select values of multi-valued complex attributes, and `{}` is not one",
                    attr.name
                ),
            ));
        }
        let compiled = compile_value_filter(f, attr, &self.options.filter)
            .map_err(|e| err(ScimType::InvalidFilter, format!("path `{text}`: {e}")))?;
        let sub = match &path.sub_attr {
            None => None,
            Some(s) => Some(attr.sub_attribute(s).ok_or_else(|| {
                err(ScimType::InvalidPath, format!("path `{text}`: `{}` has no sub-attribute `{s}`", attr.name))
            })?),
        };
        Ok(Target::Attr { container, attr, filter: Some(Box::new((compiled, f.clone()))), sub })
    }

    fn writable(&self, attr: &Attribute, sub: Option<&Attribute>) -> Result<(), PatchError> {
        for a in std::iter::once(attr).chain(sub) {
            if a.mutability == Mutability::ReadOnly {
                return Err(err(ScimType::Mutability, format!("`{}` is readOnly", describe(attr, sub))));
            }
        }
        Ok(())
    }

    /// An immutable attribute may be assigned once (RFC 7644 §3.5.2: "a client MAY add a value to an
    /// immutable attribute if the attribute had no previous value").
    fn immutable_ok(
        &self,
        attr: &Attribute,
        label: &str,
        old: Option<&Value>,
        new: Option<&Value>,
    ) -> Result<(), PatchError> {
        if attr.mutability != Mutability::Immutable {
            return Ok(());
        }
        let old = old.filter(|v| is_present(v));
        match (old, new) {
            (None, _) => Ok(()),
            (Some(o), Some(n)) if value::equals(attr, o, n) => Ok(()),
            _ => Err(err(ScimType::Mutability, format!("`{label}` is immutable and already has a value"))),
        }
    }

    // ----- values -------------------------------------------------------------------------------

    /// A written value, checked and normalised for `attr`; `None` means unassign.
    fn normalize(&self, attr: &Attribute, value: &Value) -> Result<Option<Value>, PatchError> {
        if value.is_null() {
            return Ok(None);
        }
        if attr.multi_valued {
            let items: Vec<&Value> = match value {
                Value::Array(a) => a.iter().collect(),
                v => vec![v],
            };
            let mut out = Vec::new();
            for item in items {
                if let Some(v) = self.single(attr, item, true)? {
                    out.push(v);
                }
            }
            return Ok(if out.is_empty() { None } else { Some(Value::Array(out)) });
        }
        let value = match value {
            Value::Array(a) if a.len() == 1 && self.options.tolerances.single_value_array => &a[0],
            Value::Array(_) => {
                return Err(err(
                    ScimType::InvalidValue,
                    format!("`{}` is single-valued: give one value, not an array", attr.name),
                ));
            }
            v => v,
        };
        self.single(attr, value, false)
    }

    /// One value of `attr`. For complex values, `keep_nulls` keeps `null` sub-attributes as "unassign this
    /// sub-attribute" markers for merging; readOnly sub-attributes are dropped.
    fn single(&self, attr: &Attribute, value: &Value, strip_nulls: bool) -> Result<Option<Value>, PatchError> {
        if !attr.is_complex() {
            return self.scalar(attr, value, &attr.name);
        }
        let Value::Object(o) = value else {
            if value.is_null() {
                return Ok(None);
            }
            return Err(err(
                ScimType::InvalidValue,
                format!("`{}` is complex: its value is an object of sub-attributes, not {value}", attr.name),
            ));
        };
        let mut out = Map::new();
        for (k, v) in o {
            let sub = attr
                .sub_attribute(k)
                .ok_or_else(|| err(ScimType::InvalidValue, format!("`{}` has no sub-attribute `{k}`", attr.name)))?;
            if sub.mutability == Mutability::ReadOnly {
                continue;
            }
            match self.scalar(sub, v, &format!("{}.{}", attr.name, sub.name))? {
                Some(v) => {
                    out.insert(sub.name.clone(), v);
                }
                None if !strip_nulls => {
                    out.insert(sub.name.clone(), Value::Null);
                }
                None => {}
            }
        }
        if strip_nulls && is_empty(&Value::Object(out.clone())) {
            return Ok(None);
        }
        Ok(Some(Value::Object(out)))
    }

    fn scalar(&self, attr: &Attribute, value: &Value, label: &str) -> Result<Option<Value>, PatchError> {
        let t = &self.options.tolerances;
        match value {
            Value::Null => Ok(None),
            Value::String(s) if s.is_empty() && t.empty_string_unassigns => Ok(None),
            Value::String(s)
                if attr.ty == AttributeType::Boolean
                    && t.string_booleans
                    && (s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false")) =>
            {
                Ok(Some(Value::Bool(s.eq_ignore_ascii_case("true"))))
            }
            v if value::fits_type(attr.ty, v) => Ok(Some(v.clone())),
            v => {
                let hint = if attr.ty == AttributeType::Boolean && v.is_string() {
                    " (the entra and compat modes accept \"True\"/\"False\")"
                } else {
                    ""
                };
                Err(err(
                    ScimType::InvalidValue,
                    format!("`{label}` is {} {}, not {v}{hint}", article(attr.ty), attr.ty),
                ))
            }
        }
    }

    // ----- add / replace ------------------------------------------------------------------------

    fn pathless(&self, root: &mut Map<String, Value>, kind: OpKind, value: &Value) -> Result<(), PatchError> {
        let Value::Object(attrs) = value else {
            return Err(err(
                ScimType::InvalidValue,
                format!("a `{kind}` without `path` takes an object of attributes as its value"),
            ));
        };
        for (key, v) in attrs {
            if key.eq_ignore_ascii_case("schemas") {
                continue;
            }
            if let Some(ext) = self.schema.extension(key) {
                self.write(root, &Target::Extension(ext), kind, v, key)?;
                continue;
            }
            let path_like = key.contains('.') || split_urn(key).0.is_some();
            if path_like && self.options.tolerances.pathless_keys_are_paths {
                let parsed = parse_path(key, &ParseOptions::with_dialect(self.options.filter.dialect))
                    .map_err(|e| err(ScimType::InvalidPath, format!("key `{key}`: {}", e.render(key))))?;
                let target = self.resolve(&parsed, key)?;
                self.write(root, &target, kind, v, key)?;
                continue;
            }
            match self.schema.resolve(None, key, None) {
                Ok(r) if matches!(r.owner, Owner::Common | Owner::Core(_)) => {
                    self.keyed(root, None, r.attribute, v, kind)?
                }
                _ => {
                    let hint = if path_like { "; the entra and compat modes read such keys as paths" } else { "" };
                    return Err(err(
                        ScimType::InvalidPath,
                        format!(
                            "the value names `{key}`, which is not an attribute of {}{hint}",
                            self.schema.resource_type.name
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// One attribute of a path-less value.
    fn keyed(
        &self,
        root: &mut Map<String, Value>,
        container_urn: Option<&str>,
        attr: &Attribute,
        value: &Value,
        kind: OpKind,
    ) -> Result<(), PatchError> {
        if attr.mutability == Mutability::ReadOnly && self.options.tolerances.unchanged_readonly_ignored {
            let current =
                container(root, container_urn, false).and_then(|m| get_ci(m, &attr.name).map(|(_, v)| v.clone()));
            if current.is_some_and(|c| value::equals(attr, &c, value)) {
                return Ok(());
            }
        }
        let target = Target::Attr {
            container: container_urn.and_then(|u| self.schema.extension(u)).map(|s| s.id.as_str()),
            attr,
            filter: None,
            sub: None,
        };
        // Re-borrow with the schema's lifetime for the container name.
        self.write(root, &target, kind, value, &attr.name)
    }

    fn write(
        &self,
        root: &mut Map<String, Value>,
        target: &Target<'_>,
        kind: OpKind,
        value: &Value,
        text: &str,
    ) -> Result<(), PatchError> {
        match target {
            Target::Extension(ext) => {
                let Value::Object(attrs) = value else {
                    return Err(err(
                        ScimType::InvalidValue,
                        format!("`{text}` takes an object of that extension's attributes"),
                    ));
                };
                for (k, v) in attrs {
                    // A `schemas` member inside the extension object (as some clients serialise it) says
                    // nothing the key does not; unknown members are a bad value.
                    if k.eq_ignore_ascii_case("schemas") {
                        continue;
                    }
                    let attr = ext
                        .attribute(k)
                        .ok_or_else(|| err(ScimType::InvalidValue, format!("{} has no attribute `{k}`", ext.id)))?;
                    self.keyed(root, Some(&ext.id), attr, v, kind)?;
                }
                Ok(())
            }
            Target::Attr { container: urn, attr, filter: None, sub: None } => {
                self.write_attr(root, *urn, attr, kind, value)
            }
            Target::Attr { container: urn, attr, filter: None, sub: Some(sub) } => {
                self.write_sub(root, *urn, attr, sub, value)
            }
            Target::Attr { container: urn, attr, filter: Some(boxed), sub } => {
                let (compiled, raw) = boxed.as_ref();
                self.write_filtered(root, *urn, attr, compiled, raw, *sub, kind, value, text)
            }
        }
    }

    fn write_attr(
        &self,
        root: &mut Map<String, Value>,
        urn: Option<&str>,
        attr: &Attribute,
        kind: OpKind,
        value: &Value,
    ) -> Result<(), PatchError> {
        self.writable(attr, None)?;
        let new = self.normalize(attr, value)?;
        let Some(map) = container(root, urn, new.is_some()) else { return Ok(()) };
        let old = get_ci(map, &attr.name).map(|(_, v)| v.clone());
        let Some(new) = new else {
            // null, [] (or "" where tolerated): unassign on replace; nothing to add on add.
            if kind == OpKind::Replace {
                self.immutable_ok(attr, &attr.name, old.as_ref(), None)?;
                remove_key(map, &attr.name);
            }
            return Ok(());
        };
        let result = if attr.multi_valued {
            let Value::Array(new_items) = new else { unreachable!("normalize returns arrays for multi-valued") };
            if kind == OpKind::Replace {
                self.immutable_ok(attr, &attr.name, old.as_ref(), Some(&Value::Array(new_items.clone())))?;
                Value::Array(new_items)
            } else {
                let mut items = match &old {
                    Some(Value::Array(a)) => a.clone(),
                    Some(v) if is_present(v) => vec![v.clone()],
                    _ => Vec::new(),
                };
                let same = |e: &Value, item: &Value| {
                    same_element(attr, e, item) && (!self.options.add_matches_exactly || same_exactly(e, item))
                };
                // The items by their `value` in ASCII lower case keep an add to a large group linear (1,000
                // members); an item it cannot key (no string `value`, non-ASCII, a dateTime) is compared with
                // every item, and every item it cannot key is compared with each new one, as before.
                let value_def = attr.sub_attribute("value").filter(|d| d.ty != AttributeType::DateTime);
                let key = |v: &Value| -> Option<String> {
                    value_def?;
                    let text = v.as_object().and_then(|o| get_ci(o, "value")).and_then(|(_, v)| v.as_str())?;
                    text.is_ascii().then(|| text.to_ascii_lowercase())
                };
                let mut keyed: HashMap<String, Vec<usize>> = HashMap::new();
                let mut unkeyed: Vec<usize> = Vec::new();
                for (i, e) in items.iter().enumerate() {
                    match key(e) {
                        Some(k) => keyed.entry(k).or_default().push(i),
                        None => unkeyed.push(i),
                    }
                }
                for item in new_items {
                    let item_key = key(&item);
                    let found = match &item_key {
                        Some(k) => keyed
                            .get(k)
                            .into_iter()
                            .flatten()
                            .chain(&unkeyed)
                            .copied()
                            .filter(|&i| same(&items[i], &item))
                            .min(),
                        None => items.iter().position(|e| same(e, &item)),
                    };
                    match found {
                        Some(i) => {
                            items[i] = self.merge(attr, &items[i], &item)?;
                            if item_key.is_none() {
                                unkeyed.push(i);
                            }
                        }
                        None => {
                            match item_key {
                                Some(k) => keyed.entry(k).or_default().push(items.len()),
                                None => unkeyed.push(items.len()),
                            }
                            items.push(strip_nulls(item));
                        }
                    }
                }
                Value::Array(items)
            }
        } else if attr.is_complex() {
            let base = old.clone().filter(Value::is_object).unwrap_or_else(|| Value::Object(Map::new()));
            self.merge(attr, &base, &new)?
        } else {
            self.immutable_ok(attr, &attr.name, old.as_ref(), Some(&new))?;
            new
        };
        // A wholesale replace of a multi-valued attribute keeps nothing of the old value: every primary in
        // the result is one the request asked for, so two are a conflict whatever was primary before (and the
        // operation stays idempotent).
        let kept = if attr.multi_valued && kind == OpKind::Replace { None } else { old.as_ref() };
        let result = self.fix_primary(attr, kept, result)?;
        set_key(map, &attr.name, result);
        Ok(())
    }

    /// Merges the sub-attributes of `new` into the complex value `old` (null unassigns).
    fn merge(&self, attr: &Attribute, old: &Value, new: &Value) -> Result<Value, PatchError> {
        let mut out = old.as_object().cloned().unwrap_or_default();
        if let Value::Object(n) = new {
            for (k, v) in n {
                if let Some(sub) = attr.sub_attribute(k) {
                    let current = get_ci(&out, k).map(|(_, c)| c.clone());
                    let label = describe(attr, Some(sub));
                    self.immutable_ok(sub, &label, current.as_ref(), (!v.is_null()).then_some(v))?;
                }
                set_key(&mut out, k, v.clone());
            }
        }
        Ok(Value::Object(out))
    }

    /// `name.givenName` or `emails.value` (every value) without a filter.
    fn write_sub(
        &self,
        root: &mut Map<String, Value>,
        urn: Option<&str>,
        attr: &Attribute,
        sub: &Attribute,
        value: &Value,
    ) -> Result<(), PatchError> {
        self.writable(attr, Some(sub))?;
        let new = self.normalize(sub, value)?;
        let label = describe(attr, Some(sub));
        let Some(map) = container(root, urn, new.is_some()) else { return Ok(()) };
        if attr.multi_valued {
            let Some(Value::Array(items)) = get_ci(map, &attr.name).map(|(_, v)| v.clone()) else {
                return Err(err(ScimType::NoTarget, format!("`{label}`: `{}` has no values", attr.name)));
            };
            let mut out = Vec::new();
            for item in items {
                out.push(self.set_sub(sub, &label, item, new.clone())?);
            }
            set_key(map, &attr.name, Value::Array(out.into_iter().filter(|v| !is_empty(v)).collect()));
            return Ok(());
        }
        let parent = get_ci(map, &attr.name)
            .map(|(_, v)| v.clone())
            .filter(Value::is_object)
            .unwrap_or_else(|| Value::Object(Map::new()));
        let updated = self.set_sub(sub, &label, parent, new)?;
        set_key(map, &attr.name, updated);
        Ok(())
    }

    fn set_sub(&self, sub: &Attribute, label: &str, element: Value, new: Option<Value>) -> Result<Value, PatchError> {
        let mut object = match element {
            Value::Object(o) => o,
            _ => Map::new(),
        };
        let current = get_ci(&object, &sub.name).map(|(_, v)| v.clone());
        self.immutable_ok(sub, label, current.as_ref(), new.as_ref())?;
        match new {
            Some(v) => set_key(&mut object, &sub.name, v),
            None => {
                remove_key(&mut object, &sub.name);
            }
        }
        Ok(Value::Object(object))
    }

    #[allow(clippy::too_many_arguments)]
    fn write_filtered(
        &self,
        root: &mut Map<String, Value>,
        urn: Option<&str>,
        attr: &Attribute,
        filter: &CompiledFilter<'_>,
        raw: &Filter,
        sub: Option<&Attribute>,
        kind: OpKind,
        value: &Value,
        text: &str,
    ) -> Result<(), PatchError> {
        self.writable(attr, sub)?;
        let label = describe(attr, sub);
        let Some(map) = container(root, urn, true) else { return Ok(()) };
        let old = get_ci(map, &attr.name).map(|(_, v)| v.clone());
        let mut items = match &old {
            Some(Value::Array(a)) => a.clone(),
            _ => Vec::new(),
        };
        let matched: Vec<usize> = (0..items.len()).filter(|i| filter.matches(&items[*i])).collect();
        if matched.is_empty() {
            // Entra writes a typed entry that does not exist yet by its `value` (E-Q22); any other
            // sub-attribute, or a whole value, of an entry that does not exist is `noTarget` (§3.5.2.3).
            let creates = self.options.tolerances.filtered_write_creates
                && sub.is_some_and(|s| s.name.eq_ignore_ascii_case("value"));
            let template = if creates { template(raw, attr) } else { None };
            let (Some(mut element), Some(s)) = (template, sub) else {
                return Err(err(
                    ScimType::NoTarget,
                    format!("path `{text}`: no value of `{}` matches the filter", attr.name),
                ));
            };
            element.insert(s.name.clone(), value.clone());
            // An entry is created only with a value: `""` or null written to nothing changes nothing.
            if let Some(e) = self.single(attr, &Value::Object(element), true)?
                && get_ci(e.as_object().expect("complex values are objects"), &s.name).is_some()
            {
                items.push(e);
            }
        } else {
            match sub {
                Some(s) => {
                    let new = self.normalize(s, value)?;
                    for i in matched {
                        items[i] = self.set_sub(s, &label, items[i].clone(), new.clone())?;
                    }
                }
                None => {
                    let new = self.single(attr, value, false)?.unwrap_or(Value::Object(Map::new()));
                    for i in matched {
                        items[i] = if kind == OpKind::Replace {
                            // Replaced wholesale (§3.5.2.3); immutable sub-attributes must keep their values.
                            for s in attr.sub_attributes.iter().filter(|s| s.mutability == Mutability::Immutable) {
                                let o = items[i].get(&s.name);
                                self.immutable_ok(
                                    s,
                                    &describe(attr, Some(s)),
                                    o,
                                    new.get(&s.name).filter(|v| !v.is_null()),
                                )?;
                            }
                            strip_nulls(new.clone())
                        } else {
                            self.merge(attr, &items[i], &new)?
                        };
                    }
                }
            }
        }
        let items: Vec<Value> = items.into_iter().filter(|v| !is_empty(v)).collect();
        let result = self.fix_primary(attr, old.as_ref(), Value::Array(items))?;
        set_key(map, &attr.name, result);
        Ok(())
    }

    /// At most one `primary: true`: a value this operation made primary wins (RFC 7643 §2.4).
    fn fix_primary(&self, attr: &Attribute, old: Option<&Value>, result: Value) -> Result<Value, PatchError> {
        let Value::Array(mut items) = result else { return Ok(result) };
        if attr.sub_attribute("primary").is_none() {
            return Ok(Value::Array(items));
        }
        let is_primary = |v: &Value| v.get("primary") == Some(&Value::Bool(true));
        let before: Vec<&Value> = match old {
            Some(Value::Array(a)) => a.iter().filter(|v| is_primary(v)).collect(),
            _ => Vec::new(),
        };
        let fresh: Vec<usize> =
            (0..items.len()).filter(|i| is_primary(&items[*i]) && !before.contains(&&items[*i])).collect();
        match fresh.len() {
            0 => {}
            1 => {
                for (i, item) in items.iter_mut().enumerate() {
                    if i != fresh[0] && is_primary(item) {
                        item["primary"] = Value::Bool(false);
                    }
                }
            }
            _ => {
                return Err(err(
                    ScimType::InvalidValue,
                    format!("more than one value of `{}` would be primary", attr.name),
                ));
            }
        }
        Ok(Value::Array(items))
    }

    // ----- remove -------------------------------------------------------------------------------

    fn remove(
        &self,
        root: &mut Map<String, Value>,
        target: &Target<'_>,
        value: Option<&Value>,
    ) -> Result<(), PatchError> {
        let t = &self.options.tolerances;
        let (urn, attr, filter, sub) = match target {
            Target::Extension(ext) => {
                remove_key(root, &ext.id);
                return Ok(());
            }
            Target::Attr { container, attr, filter, sub } => (*container, *attr, filter, *sub),
        };
        self.writable(attr, sub)?;
        let label = describe(attr, sub);
        // Removing what is not there succeeds without change, filtered or not (§3.5.2.2's example prose).
        let Some(map) = container(root, urn, false) else { return Ok(()) };
        let old = get_ci(map, &attr.name).map(|(_, v)| v.clone());
        let items = match &old {
            Some(Value::Array(a)) => a.clone(),
            _ => Vec::new(),
        };
        match (filter, sub) {
            (None, None) => {
                if attr.multi_valued
                    && t.remove_value_selects
                    && let Some(selected) = value.map(|v| self.normalize(attr, v)).transpose()?.flatten()
                {
                    let selected = selected.as_array().cloned().unwrap_or_default();
                    let kept: Vec<Value> =
                        items.iter().filter(|e| !selected.iter().any(|s| same_element(attr, e, s))).cloned().collect();
                    set_key(map, &attr.name, Value::Array(kept));
                    return Ok(());
                }
                self.immutable_ok(attr, &label, old.as_ref(), None)?;
                remove_key(map, &attr.name);
            }
            (None, Some(s)) => {
                if attr.multi_valued {
                    let mut out = Vec::new();
                    for item in items {
                        out.push(self.set_sub(s, &label, item, None)?);
                    }
                    set_key(map, &attr.name, Value::Array(out.into_iter().filter(|v| !is_empty(v)).collect()));
                } else if let Some(parent) = old.filter(Value::is_object) {
                    let updated = self.set_sub(s, &label, parent, None)?;
                    set_key(map, &attr.name, updated);
                }
            }
            (Some(boxed), sub) => {
                let compiled = &boxed.0;
                let matched: Vec<usize> = (0..items.len()).filter(|i| compiled.matches(&items[*i])).collect();
                if matched.is_empty() {
                    return Ok(());
                }
                let mut out = Vec::new();
                for (i, item) in items.into_iter().enumerate() {
                    match (matched.contains(&i), sub) {
                        (false, _) => out.push(item),
                        (true, None) => {}
                        (true, Some(s)) => out.push(self.set_sub(s, &label, item, None)?),
                    }
                }
                set_key(map, &attr.name, Value::Array(out.into_iter().filter(|v| !is_empty(v)).collect()));
            }
        }
        Ok(())
    }

    // ----- after the last operation -------------------------------------------------------------

    /// The required attributes of every schema, in order, each with its extension URN.
    fn required(&self) -> impl Iterator<Item = (Option<&'s str>, &'s Attribute)> + use<'s> {
        let schema = self.schema;
        std::iter::once((None, &schema.core))
            .chain(schema.extensions.iter().map(|(s, _)| (Some(s.id.as_str()), s)))
            .flat_map(|(urn, s)| s.attributes.iter().filter(|a| a.required).map(move |a| (urn, a)))
    }

    /// Whether each of [`Engine::required`] has a value in `m`.
    fn required_present(&self, m: &Map<String, Value>) -> Vec<bool> {
        self.required().map(|(urn, attr)| present_in(m, urn, &attr.name)).collect()
    }

    /// A required attribute that had a value before an operation must still have one.
    fn check_required(&self, before: &[bool], after: &Map<String, Value>) -> Result<(), PatchError> {
        for ((urn, attr), was) in self.required().zip(before) {
            if *was && !present_in(after, urn, &attr.name) {
                return Err(err(
                    ScimType::Mutability,
                    format!("`{}` is required and cannot be removed (RFC 7644 §3.5.2.2)", attr.name),
                ));
            }
        }
        Ok(())
    }

    /// Lists an extension in `schemas` when it gains data; drops it (and its empty object) when it loses it.
    fn sync_schemas(&self, before: &Map<String, Value>, after: &mut Map<String, Value>) {
        for (ext, _) in &self.schema.extensions {
            let has = |m: &Map<String, Value>| get_ci(m, &ext.id).is_some_and(|(_, v)| is_present(v));
            let (had, has_now) = (has(before), has(after));
            if !has_now && get_ci(after, &ext.id).is_some() {
                remove_key(after, &ext.id);
            }
            if had == has_now {
                continue;
            }
            let Some((key, Value::Array(list))) = get_ci(after, "schemas").map(|(k, v)| (k.clone(), v.clone())) else {
                continue;
            };
            let mut list = list;
            let listed = list.iter().any(|u| u.as_str().is_some_and(|u| u.eq_ignore_ascii_case(&ext.id)));
            if has_now && !listed {
                list.push(Value::String(ext.id.clone()));
            } else if !has_now {
                list.retain(|u| !u.as_str().is_some_and(|u| u.eq_ignore_ascii_case(&ext.id)));
            }
            after.insert(key, Value::Array(list));
        }
    }
}

fn article(ty: AttributeType) -> &'static str {
    if ty == AttributeType::Integer { "an" } else { "a" }
}

/// Whether attribute `name` (of extension `urn`, or of the core) has a value in `m`.
fn present_in(m: &Map<String, Value>, urn: Option<&str>, name: &str) -> bool {
    let m = match urn {
        None => Some(m),
        Some(u) => get_ci(m, u).and_then(|(_, v)| v.as_object()),
    };
    m.and_then(|m| get_ci(m, name)).is_some_and(|(_, v)| is_present(v))
}

fn strip_nulls(v: Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(o.into_iter().filter(|(_, v)| !v.is_null()).collect()),
        v => v,
    }
}

/// Whether two values of a multi-valued attribute are the same entry: equal `value` (and `type` where
/// both have one) for complex values that have a `value`; equal in every sub-attribute otherwise.
pub(crate) fn same_element(attr: &Attribute, a: &Value, b: &Value) -> bool {
    if let (Value::Object(x), Value::Object(y), Some(value_def)) = (a, b, attr.sub_attribute("value"))
        && let (Some((_, xv)), Some((_, yv))) = (get_ci(x, "value"), get_ci(y, "value"))
    {
        if !value::equals(value_def, xv, yv) {
            return false;
        }
        return match (get_ci(x, "type"), get_ci(y, "type"), attr.sub_attribute("type")) {
            (Some((_, xt)), Some((_, yt)), Some(type_def)) if is_present(xt) && is_present(yt) => {
                value::equals(type_def, xt, yt)
            }
            _ => true,
        };
    }
    value::equals(attr, a, b)
}

/// Whether two values [`same_element`] calls the same entry are also spelled alike: `value` and `type`
/// for values that have a `value`, everything otherwise.
fn same_exactly(a: &Value, b: &Value) -> bool {
    let field = |v: &Value, name: &str| v.as_object().and_then(|o| get_ci(o, name)).map(|(_, v)| v.clone());
    match (field(a, "value"), field(b, "value")) {
        (Some(x), Some(y)) => {
            x == y
                && match (field(a, "type"), field(b, "type")) {
                    (Some(x), Some(y)) => x == y,
                    _ => true,
                }
        }
        _ => a == b,
    }
}

/// The value a filter like `type eq "mobile"` (or an `and` of such equalities) describes, for creating
/// it when a filtered write matches nothing (Entra E-Q22).
fn template(filter: &Filter, attr: &Attribute) -> Option<Map<String, Value>> {
    let mut out = Map::new();
    let mut add = |f: &Filter| match f {
        Filter::Attr { path, test: Test::Compare(CompareOp::Eq, v) }
            if path.uri.is_none() && path.sub_attr.is_none() && *v != CompValue::Null =>
        {
            let sub = attr.sub_attribute(&path.name)?;
            out.insert(sub.name.clone(), v.to_json());
            Some(())
        }
        _ => None,
    };
    match filter {
        Filter::And(terms) => {
            for t in terms {
                add(t)?;
            }
        }
        f => add(f)?,
    }
    Some(out)
}
