//! Admission of GraphQL documents: one set of limits for every transport (HTTP GET, HTTP POST and WebSocket),
//! checked from one place before the library validates anything, and the store of persisted queries.
//!
//! The order matters. A document is first measured as text (its size and how deeply its brackets nest), then
//! parsed once, then measured as the tree it would become with every fragment spread expanded (memoized per
//! fragment, so a chain of fragments that doubles at each step is measured in linear time), and only then handed to
//! async-graphql, which validates the parsed document (depth, complexity, directives and the GraphQL rules) without
//! parsing it again. Parsing and validating run off the async workers when the runtime allows it, so that health
//! checks and other clients are served meanwhile. A persisted query is stored only after the request that
//! registered it passed every limit and validated.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextValidation};
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet};
use async_graphql::{Request, Response, ServerError, ServerResult, ValidationResult, Variables};
use axum::http::StatusCode;
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::error::AppError;

/// How a document reached the server: the rules differ only where the transport's semantics demand it (GET never
/// runs a mutation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// `GET /graphql?query=...`: queries only.
    Get,
    /// `POST /graphql`.
    Post,
    /// A `subscribe` (or legacy `start`) message on a WebSocket connection.
    WebSocket,
}

/// The limits every document must keep, whatever its transport.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Longest document, in bytes.
    pub max_query_bytes: usize,
    /// Deepest nesting of brackets (`{`, `[`, `(`) in the document's text.
    pub max_nesting: usize,
    /// Most selections (fields, fragment spreads and inline fragments) once every fragment is expanded.
    pub max_selections: u64,
    /// Most aliased fields once every fragment is expanded.
    pub max_aliases: u64,
    /// Deepest nesting of fields outside introspection (`__schema`, `__type`), once every fragment is expanded.
    pub max_depth: u64,
    /// Whether introspection and `_service { sdl }` are the gateway's alone (the production profile).
    pub service_for_gateway_only: bool,
}

impl Limits {
    /// The limits of a configuration.
    pub fn from_config(config: &Config) -> Self {
        Limits {
            max_query_bytes: config.max_query_bytes,
            max_nesting: config.max_depth.saturating_mul(4).max(32),
            max_selections: config.max_selections as u64,
            max_aliases: config.max_aliases as u64,
            max_depth: config.max_depth as u64,
            service_for_gateway_only: config.production(),
        }
    }
}

/// Why a request was refused before it ran: the HTTP status it is answered with (over HTTP) and the coded error.
#[derive(Debug)]
pub struct Refusal {
    /// 400 for a document that cannot run, 405 for a mutation over GET.
    pub status: StatusCode,
    /// The error, with its code.
    pub error: AppError,
}

impl Refusal {
    fn document(code: &'static str, message: impl Into<String>) -> Self {
        Refusal { status: StatusCode::BAD_REQUEST, error: AppError::Request { code, message: message.into() } }
    }

    fn limit(message: impl Into<String>) -> Self {
        Refusal::document("GRAPHQL_VALIDATION_FAILED", message)
    }

    /// The refusal as a GraphQL error.
    pub fn to_server_error(&self) -> ServerError {
        let err = self.error.to_graphql();
        let mut server = ServerError::new(err.message, None);
        server.extensions = err.extensions;
        server
    }

    /// The refusal as a GraphQL response (no data).
    pub fn into_response(self) -> Response {
        Response::from_errors(vec![self.to_server_error()])
    }
}

/// A document that passed every limit, ready to run.
pub struct Admitted {
    /// The request, with its parsed document attached (the library does not parse it again).
    pub request: Request,
    /// The persisted-query registration to store once the request validated: `(hash, document)`.
    pub register: Option<(String, Arc<str>)>,
    /// The operation's type.
    pub operation: OperationType,
}

/// Marks a request whose document is large enough that validating it is worth moving off the async workers.
struct HeavyDocument;

/// Selections above which validation runs off the async workers.
const HEAVY_SELECTIONS: u64 = 256;

/// Admits `request` or refuses it. Runs the CPU-bound part off the async workers.
pub fn admit(
    limits: &Limits,
    store: &PersistedQueries,
    request: Request,
    transport: Transport,
    gateway: bool,
) -> Result<Admitted, Refusal> {
    let heavy = request.query.len() > 4096;
    if heavy {
        offload(|| admit_inline(limits, store, request, transport, gateway))
    } else {
        admit_inline(limits, store, request, transport, gateway)
    }
}

fn admit_inline(
    limits: &Limits,
    store: &PersistedQueries,
    mut request: Request,
    transport: Transport,
    gateway: bool,
) -> Result<Admitted, Refusal> {
    let mut register = None;
    if let Some(persisted) = request.extensions.remove("persistedQuery") {
        let persisted = serde_json::to_value(&persisted).unwrap_or_default();
        if persisted.get("version").and_then(serde_json::Value::as_i64) != Some(1) {
            return Err(Refusal::document(
                "PERSISTED_QUERY_NOT_SUPPORTED",
                "only version 1 of automatic persisted queries is supported",
            ));
        }
        let Some(hash) = persisted.get("sha256Hash").and_then(serde_json::Value::as_str) else {
            return Err(Refusal::document("BAD_USER_INPUT", "persistedQuery.sha256Hash is required"));
        };
        let hash = hash.to_ascii_lowercase();
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Refusal::document("BAD_USER_INPUT", "persistedQuery.sha256Hash must be 64 hexadecimal digits"));
        }
        if request.query.is_empty() {
            match store.get(&hash) {
                Some(query) => request.query = query.to_string(),
                None => return Err(Refusal::document("PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound")),
            }
        } else {
            check_size(limits, &request.query)?;
            if sha256_hex(&request.query) != hash {
                return Err(Refusal::document(
                    "BAD_USER_INPUT",
                    "persistedQuery.sha256Hash is not the SHA-256 of the query",
                ));
            }
            register = Some((hash, Arc::from(request.query.as_str())));
        }
    }
    check_size(limits, &request.query)?;
    check_nesting(limits, &request.query)?;
    let document = async_graphql::parser::parse_query(&request.query)
        .map_err(|e| Refusal::document("GRAPHQL_PARSE_FAILED", e.to_string()))?;
    check_text(&request.variables, &document)?;
    let shape = measure(&document);
    if shape.selections > limits.max_selections {
        return Err(Refusal::limit(format!(
            "the document expands to more than {} selections once its fragments are spread",
            limits.max_selections
        )));
    }
    if shape.aliases > limits.max_aliases {
        return Err(Refusal::limit(format!("a query may use at most {} aliases", limits.max_aliases)));
    }
    if shape.depth > limits.max_depth {
        return Err(Refusal::limit(format!(
            "the query is nested too deep: at most {} levels of fields (introspection aside)",
            limits.max_depth
        )));
    }
    if shape.introspection_depth > INTROSPECTION_MAX_DEPTH {
        return Err(Refusal::limit(format!(
            "the introspection query is nested too deep: at most {INTROSPECTION_MAX_DEPTH} levels of fields"
        )));
    }
    if shape.introspection_lists >= INTROSPECTION_MAX_LISTS {
        return Err(Refusal::limit(format!(
            "the introspection query nests `fields`, `inputFields`, `interfaces` or `possibleTypes` \
             {INTROSPECTION_MAX_LISTS} or more times"
        )));
    }
    if limits.service_for_gateway_only && !gateway {
        if selects_root_field(&document, "_service") {
            return Err(Refusal::limit("`_service` is served to the federation gateway only"));
        }
        if selects_root_field(&document, "__schema") || selects_root_field(&document, "__type") {
            return Err(Refusal::limit("introspection is turned off; the schema is published as schema.graphql"));
        }
    }
    let operation = operation_type(&document, request.operation_name.as_deref()).unwrap_or(OperationType::Query);
    if transport == Transport::Get && operation != OperationType::Query {
        return Err(Refusal {
            status: StatusCode::METHOD_NOT_ALLOWED,
            error: AppError::Request {
                code: "BAD_REQUEST",
                message: "mutations are only accepted over POST, subscriptions over WebSocket".into(),
            },
        });
    }
    if shape.selections > HEAVY_SELECTIONS {
        request = request.data(HeavyDocument);
    }
    request.set_parsed_query(document);
    Ok(Admitted { request, register, operation })
}

fn check_size(limits: &Limits, query: &str) -> Result<(), Refusal> {
    if query.len() > limits.max_query_bytes {
        return Err(Refusal::limit(format!("a document may be at most {} bytes long", limits.max_query_bytes)));
    }
    Ok(())
}

/// Refuses text whose brackets nest deeper than the limit, before a recursive parser sees it. Strings, block
/// strings and comments are skipped.
fn check_nesting(limits: &Limits, query: &str) -> Result<(), Refusal> {
    let bytes = query.as_bytes();
    let (mut depth, mut deepest, mut i) = (0usize, 0usize, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    i += if bytes[i..].starts_with(b"\\\"\"\"") { 4 } else { 1 };
                }
                i += 2;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    if deepest > limits.max_nesting {
        return Err(Refusal::limit(format!("brackets may nest at most {} deep", limits.max_nesting)));
    }
    Ok(())
}

/// Whether a character may appear in text input: anything but control characters, except newline, carriage return
/// and tab.
pub fn allowed_char(c: char) -> bool {
    !c.is_control() || matches!(c, '\n' | '\r' | '\t')
}

/// Refuses control characters (other than newline, carriage return and tab) in every string a request carries, in
/// its variables and in the literal arguments of its document, so that no text input of any field or transport can
/// store one. PostgreSQL cannot store NUL in text at all; SQLite could, and both must behave alike.
fn check_text(variables: &Variables, document: &ExecutableDocument) -> Result<(), Refusal> {
    use async_graphql::Value;
    use async_graphql::parser::Positioned;
    use async_graphql::parser::types::Directive;

    fn refused(place: &str) -> Refusal {
        Refusal::document(
            "BAD_USER_INPUT",
            format!(
                "{place} contains a control character; text may hold newlines and tabs but no other control characters"
            ),
        )
    }
    fn constant(value: &Value) -> bool {
        match value {
            Value::String(text) => text.chars().all(allowed_char),
            Value::List(items) => items.iter().all(constant),
            Value::Object(fields) => fields.iter().all(|(k, v)| k.chars().all(allowed_char) && constant(v)),
            _ => true,
        }
    }
    fn literal(value: &async_graphql_value::Value) -> bool {
        use async_graphql_value::Value as V;
        match value {
            V::String(text) => text.chars().all(allowed_char),
            V::List(items) => items.iter().all(literal),
            V::Object(fields) => fields.iter().all(|(k, v)| k.chars().all(allowed_char) && literal(v)),
            _ => true,
        }
    }
    fn directives(list: &[Positioned<Directive>]) -> bool {
        list.iter().all(|d| d.node.arguments.iter().all(|(_, v)| literal(&v.node)))
    }
    fn set(selection_set: &SelectionSet) -> bool {
        selection_set.items.iter().all(|item| match &item.node {
            Selection::Field(field) => {
                field.node.arguments.iter().all(|(_, v)| literal(&v.node))
                    && directives(&field.node.directives)
                    && set(&field.node.selection_set.node)
            }
            Selection::InlineFragment(fragment) => {
                directives(&fragment.node.directives) && set(&fragment.node.selection_set.node)
            }
            Selection::FragmentSpread(spread) => directives(&spread.node.directives),
        })
    }
    for (name, value) in variables.iter() {
        if !constant(value) {
            return Err(refused(&format!("variable ${name}")));
        }
    }
    for (_, operation) in document.operations.iter() {
        let defaults = operation
            .node
            .variable_definitions
            .iter()
            .all(|v| v.node.default_value.as_ref().is_none_or(|d| constant(&d.node)));
        if !defaults || !directives(&operation.node.directives) || !set(&operation.node.selection_set.node) {
            return Err(refused("an argument of the document"));
        }
    }
    for fragment in document.fragments.values() {
        if !directives(&fragment.node.directives) || !set(&fragment.node.selection_set.node) {
            return Err(refused("an argument of the document"));
        }
    }
    Ok(())
}

/// Deepest nesting of fields under `__schema` or `__type` (the introspection query of graphql-js 16 is 15 deep, its
/// `ofType` chain being single objects, so depth there costs little).
pub const INTROSPECTION_MAX_DEPTH: u64 = 20;
/// How many of the list fields `fields`, `inputFields`, `interfaces` and `possibleTypes` may nest inside one another
/// under introspection, at most: less than this (graphql-js's `MaxIntrospectionDepthRule`). The output of a
/// document multiplies at each of them; the standard introspection query nests at most two.
pub const INTROSPECTION_MAX_LISTS: u64 = 3;

/// The size of a document once every fragment spread is expanded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Shape {
    /// Selections: fields, fragment spreads and inline fragments.
    pub selections: u64,
    /// Aliased fields.
    pub aliases: u64,
    /// Deepest nesting of fields, a field `__schema` or `__type` counting nothing (its subtree is measured below).
    pub depth: u64,
    /// Deepest nesting of fields in an introspection subtree, from the `__schema` or `__type` field.
    pub introspection_depth: u64,
    /// Most nested introspection list fields (`fields`, `inputFields`, `interfaces`, `possibleTypes`) in an
    /// introspection subtree.
    pub introspection_lists: u64,
}

impl Shape {
    /// Two selections side by side: sizes add up, depths take the larger.
    fn add(self, other: Shape) -> Shape {
        Shape {
            selections: self.selections.saturating_add(other.selections),
            aliases: self.aliases.saturating_add(other.aliases),
            depth: self.depth.max(other.depth),
            introspection_depth: self.introspection_depth.max(other.introspection_depth),
            introspection_lists: self.introspection_lists.max(other.introspection_lists),
        }
    }
}

/// The measures of one selection set that do not depend on where it is spread: the whole depth and list nesting
/// beside the [`Shape`], so that a fragment is measured once whether it is spread in data or in introspection.
#[derive(Debug, Clone, Copy, Default)]
struct Measured {
    shape: Shape,
    /// Deepest nesting of fields, every field counting.
    full_depth: u64,
    /// Most nested introspection list fields, wherever they are.
    lists: u64,
}

impl Measured {
    fn add(self, other: Measured) -> Measured {
        Measured {
            shape: self.shape.add(other.shape),
            full_depth: self.full_depth.max(other.full_depth),
            lists: self.lists.max(other.lists),
        }
    }
}

/// How many fragments may spread one another in a chain (the library itself stops at 64 levels of nesting).
const MAX_FRAGMENT_CHAIN: usize = 64;

/// Measures every operation and every fragment definition of `document` as it would be once expanded. Each
/// fragment is measured once (memoized); a fragment that spreads itself counts nothing for the cycle (validation
/// refuses cycles).
pub fn measure(document: &ExecutableDocument) -> Shape {
    struct Measure<'a> {
        document: &'a ExecutableDocument,
        memo: HashMap<&'a str, Measured>,
        visiting: Vec<&'a str>,
    }
    impl<'a> Measure<'a> {
        fn fragment(&mut self, name: &'a str) -> Measured {
            if let Some(measured) = self.memo.get(name) {
                return *measured;
            }
            if self.visiting.contains(&name) {
                return Measured::default();
            }
            if self.visiting.len() >= MAX_FRAGMENT_CHAIN {
                // Deeper than any document should chain fragments: count it as over every limit, and stop
                // recursing before the stack does.
                return Measured { shape: Shape { selections: u64::MAX, ..Shape::default() }, ..Measured::default() };
            }
            let Some((key, fragment)) = self.document.fragments.get_key_value(name) else {
                return Measured::default();
            };
            self.visiting.push(key.as_str());
            let measured = self.set(&fragment.node.selection_set.node);
            self.visiting.pop();
            self.memo.insert(key.as_str(), measured);
            measured
        }

        fn set(&mut self, set: &'a SelectionSet) -> Measured {
            let mut total = Measured::default();
            for item in &set.items {
                total =
                    total.add(Measured { shape: Shape { selections: 1, ..Shape::default() }, ..Measured::default() });
                let inner = match &item.node {
                    Selection::Field(field) => {
                        if field.node.alias.is_some() {
                            total.shape.aliases = total.shape.aliases.saturating_add(1);
                        }
                        let child = self.set(&field.node.selection_set.node);
                        let name = field.node.name.node.as_str();
                        let list = u64::from(matches!(name, "fields" | "inputFields" | "interfaces" | "possibleTypes"));
                        let mut shape = Shape { depth: child.shape.depth.saturating_add(1), ..child.shape };
                        if matches!(name, "__schema" | "__type") {
                            shape.depth = 0;
                            shape.introspection_depth = child.full_depth.saturating_add(1);
                            shape.introspection_lists = child.lists;
                        }
                        Measured {
                            shape,
                            full_depth: child.full_depth.saturating_add(1),
                            lists: child.lists.saturating_add(list),
                        }
                    }
                    Selection::InlineFragment(fragment) => self.set(&fragment.node.selection_set.node),
                    Selection::FragmentSpread(spread) => self.fragment(spread.node.fragment_name.node.as_str()),
                };
                total = total.add(inner);
            }
            total
        }
    }
    let mut m = Measure { document, memo: HashMap::new(), visiting: Vec::new() };
    let mut total = Shape::default();
    for (_, operation) in document.operations.iter() {
        total = total.add(m.set(&operation.node.selection_set.node).shape);
    }
    // Every fragment counts its size (an unused one is refused by validation, after this measure); its depth counts
    // only where it is spread, under data or under introspection.
    for name in document.fragments.keys() {
        let fragment = m.fragment(name.as_str()).shape;
        total = total.add(Shape { selections: fragment.selections, aliases: fragment.aliases, ..Shape::default() });
    }
    total
}

/// Whether any operation of `document` selects `name` at its root (directly or through fragments).
fn selects_root_field(document: &ExecutableDocument, name: &str) -> bool {
    fn set(document: &ExecutableDocument, selection_set: &SelectionSet, name: &str, depth: usize) -> bool {
        depth < 64
            && selection_set.items.iter().any(|item| match &item.node {
                Selection::Field(field) => field.node.name.node == name,
                Selection::InlineFragment(fragment) => {
                    set(document, &fragment.node.selection_set.node, name, depth + 1)
                }
                Selection::FragmentSpread(spread) => document
                    .fragments
                    .get(&spread.node.fragment_name.node)
                    .is_some_and(|f| set(document, &f.node.selection_set.node, name, depth + 1)),
            })
    }
    document.operations.iter().any(|(_, op)| set(document, &op.node.selection_set.node, name, 0))
}

/// The type of the operation a request would run, when the document names it unambiguously.
pub fn operation_type(document: &ExecutableDocument, name: Option<&str>) -> Option<OperationType> {
    match (&document.operations, name) {
        (DocumentOperations::Single(op), _) => Some(op.node.ty),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| op.node.ty),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next().map(|op| op.node.ty),
        _ => None,
    }
}

/// The lowercase hexadecimal SHA-256 of a document (the key of automatic persisted queries).
pub fn sha256_hex(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// Whether the current runtime can hand a worker's tasks to another thread (the server's runtime can; a
/// current-thread runtime, as in some embeddings and tests, cannot, and then the work runs in place).
fn multi_threaded() -> bool {
    tokio::runtime::Handle::try_current()
        .is_ok_and(|handle| handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread)
}

/// Runs CPU-bound work so that the async workers keep serving: on the multi-threaded runtime the worker hands its
/// other tasks to another thread for the duration; elsewhere (a current-thread runtime) it runs in place.
pub fn offload<R>(work: impl FnOnce() -> R) -> R {
    if multi_threaded() { tokio::task::block_in_place(work) } else { work() }
}

/// Gives every error of a response a code. Errors the library raised while coercing arguments and variables
/// (a value of the wrong type, out of range, over a bound) are `BAD_USER_INPUT`; other request errors (nothing ran:
/// validation, limits) `GRAPHQL_VALIDATION_FAILED`; anything else uncoded `INTERNAL_SERVER_ERROR`. Errors of the
/// API's own resolvers always carry their code already.
pub fn label_errors(response: &mut Response) {
    let request_error = is_request_error(response);
    for error in &mut response.errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_some() {
            continue;
        }
        let code = if is_input_error(&error.message) {
            "BAD_USER_INPUT"
        } else if request_error {
            "GRAPHQL_VALIDATION_FAILED"
        } else {
            "INTERNAL_SERVER_ERROR"
        };
        extensions.set("code", code);
    }
}

/// Whether a library error is about the value of an input (as opposed to the shape of the document).
fn is_input_error(message: &str) -> bool {
    message.starts_with("Invalid value")
        || message.starts_with("Failed to parse")
        || message.starts_with("Expected input type")
}

/// A request error (parse, validation, limits): nothing executed, so there is no data and no error has a path.
pub fn is_request_error(response: &Response) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty())
}

/// Stores the registration of an admitted request once its response shows that it validated.
pub fn settle(store: &PersistedQueries, register: Option<(String, Arc<str>)>, response: &Response) {
    if let Some((hash, query)) = register
        && !is_request_error(response)
    {
        store.insert(hash, query);
    }
}

/// The async-graphql extension that moves parsing and validation of large documents off the async workers.
pub struct Offload;

impl ExtensionFactory for Offload {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(OffloadExtension)
    }
}

struct OffloadExtension;

#[async_graphql::async_trait::async_trait]
impl Extension for OffloadExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        if ctx.data_opt::<HeavyDocument>().is_some() && multi_threaded() {
            let handle = tokio::runtime::Handle::current();
            offload(|| handle.block_on(next.run(ctx, query, variables)))
        } else {
            next.run(ctx, query, variables).await
        }
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        if ctx.data_opt::<HeavyDocument>().is_some() && multi_threaded() {
            let handle = tokio::runtime::Handle::current();
            offload(|| handle.block_on(next.run(ctx)))
        } else {
            next.run(ctx).await
        }
    }
}

/// Automatic persisted queries: documents by SHA-256, bounded by entries and by bytes, least recently used first
/// out. Only documents that passed every limit and validated are stored.
pub struct PersistedQueries {
    inner: Mutex<Lru>,
    max_entries: usize,
    max_bytes: usize,
}

#[derive(Default)]
struct Lru {
    entries: HashMap<String, (Arc<str>, u64)>,
    order: BTreeMap<u64, String>,
    bytes: usize,
    tick: u64,
}

impl std::fmt::Debug for PersistedQueries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (entries, bytes) = self.usage();
        f.debug_struct("PersistedQueries").field("entries", &entries).field("bytes", &bytes).finish()
    }
}

impl PersistedQueries {
    /// A store holding at most `max_entries` documents and `max_bytes` bytes of them.
    pub fn new(max_entries: usize, max_bytes: usize) -> Self {
        PersistedQueries { inner: Mutex::new(Lru::default()), max_entries, max_bytes }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Lru> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The stored document of `hash`, marked as recently used.
    pub fn get(&self, hash: &str) -> Option<Arc<str>> {
        let mut lru = self.lock();
        lru.tick += 1;
        let tick = lru.tick;
        let (query, old) = {
            let (query, used) = lru.entries.get_mut(hash)?;
            let old = std::mem::replace(used, tick);
            (query.clone(), old)
        };
        lru.order.remove(&old);
        lru.order.insert(tick, hash.to_owned());
        Some(query)
    }

    /// Stores a document, evicting the least recently used ones until both bounds hold. A document larger than the
    /// whole store is not kept.
    pub fn insert(&self, hash: String, query: Arc<str>) {
        if self.max_entries == 0 || query.len() > self.max_bytes {
            return;
        }
        let mut lru = self.lock();
        if let Some((old, used)) = lru.entries.remove(&hash) {
            lru.order.remove(&used);
            lru.bytes -= old.len();
        }
        while lru.entries.len() >= self.max_entries || lru.bytes + query.len() > self.max_bytes {
            let Some((_, oldest)) = lru.order.pop_first() else { break };
            if let Some((old, _)) = lru.entries.remove(&oldest) {
                lru.bytes -= old.len();
            }
        }
        lru.tick += 1;
        let tick = lru.tick;
        lru.bytes += query.len();
        lru.order.insert(tick, hash.clone());
        lru.entries.insert(hash, (query, tick));
    }

    /// `(entries, bytes)` stored now.
    pub fn usage(&self) -> (usize, usize) {
        let lru = self.lock();
        (lru.entries.len(), lru.bytes)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The limits of the unit and property tests.
    pub(crate) fn limits() -> Limits {
        Limits {
            max_query_bytes: 100_000,
            max_nesting: 48,
            max_selections: 10_000,
            max_aliases: 30,
            max_depth: 12,
            service_for_gateway_only: false,
        }
    }

    fn doubling(levels: usize) -> String {
        let mut doc = format!("query{{...F{levels}}} fragment F0 on Query{{viewer{{authenticated}}}}");
        for i in 1..=levels {
            doc.push_str(&format!(" fragment F{i} on Query{{...F{} ...F{}}}", i - 1, i - 1));
        }
        doc
    }

    #[test]
    fn expansion_is_measured_without_expanding() {
        let document = async_graphql::parser::parse_query(doubling(60)).unwrap();
        let started = std::time::Instant::now();
        let shape = measure(&document);
        assert!(started.elapsed() < std::time::Duration::from_millis(50));
        assert!(shape.selections > 1 << 60, "{shape:?}");
    }

    #[test]
    fn long_fragment_chains_are_refused_without_deep_recursion() {
        let mut doc = String::from("{ ...F0 }");
        for i in 0..5000 {
            doc.push_str(&format!(" fragment F{i} on Query {{ ...F{} }}", i + 1));
        }
        doc.push_str(" fragment F5000 on Query { a }");
        let store = PersistedQueries::new(8, 1 << 20);
        let big = Limits { max_query_bytes: 1 << 20, ..limits() };
        let refused = admit(&big, &store, Request::new(doc), Transport::Post, false).err().unwrap();
        assert_eq!(refused.error.code(), "GRAPHQL_VALIDATION_FAILED");
    }

    #[test]
    fn depth_counts_through_fragments_and_keeps_introspection_apart() {
        let shape = |doc: &str| measure(&async_graphql::parser::parse_query(doc).unwrap());
        let data = shape("{ a { ...F } } fragment F on A { b { c { d } } }");
        assert_eq!((data.depth, data.introspection_depth), (4, 0));
        let both = shape(
            "{ a { b } __schema { types { ...T } } } \
             fragment T on __Type { fields { type { ofType { ofType { name } } } } interfaces { name } }",
        );
        assert_eq!((both.depth, both.introspection_depth, both.introspection_lists), (2, 7, 1));
        let lists =
            shape("{ __type(name: \"A\") { ...L } } fragment L on __Type { fields { type { fields { name } } } }");
        assert_eq!(lists.introspection_lists, 2);
        // A fragment spread twice at different depths counts at the deeper one.
        let twice = shape("{ ...F a { b { ...F } } } fragment F on Query { x { y } }");
        assert_eq!(twice.depth, 4);
    }

    #[test]
    fn unused_fragments_and_cycles_are_measured_too() {
        let document = async_graphql::parser::parse_query(
            "{ a } fragment A on Query { ...B ...B } fragment B on Query { x y } fragment C on Query { ...C }",
        )
        .unwrap();
        // operation 1, B 2, A 2 + 2*2, C 1 (its cycle counts nothing).
        assert_eq!(measure(&document).selections, 1 + 2 + 6 + 1);
    }

    #[test]
    fn aliases_in_spread_fragments_count_each_time() {
        let store = PersistedQueries::new(8, 1 << 20);
        let doc = format!(
            "{{ ...A ...A ...A }} fragment A on Query {{ {} }}",
            (0..12).map(|i| format!("a{i}: viewer {{ authenticated }}")).collect::<Vec<_>>().join(" ")
        );
        let refused = admit(&limits(), &store, Request::new(doc), Transport::Post, false).err().unwrap();
        assert!(refused.error.message().contains("aliases"), "{:?}", refused.error);
    }

    #[test]
    fn deep_nesting_is_refused_before_parsing() {
        let store = PersistedQueries::new(8, 1 << 20);
        for (open, close) in [("{a", "}"), ("[", "]"), ("(a:", ")")] {
            let doc = format!("{{ f{} }}", open.repeat(20_000) + &close.repeat(20_000));
            let refused = admit(&limits(), &store, Request::new(doc), Transport::Post, false).err().unwrap();
            assert_eq!(refused.error.code(), "GRAPHQL_VALIDATION_FAILED");
        }
        // Brackets inside strings and comments do not count.
        let quoted = format!("{{ a(b: \"{}\") # {}\n }}", "{".repeat(1000), "[".repeat(1000));
        assert!(check_nesting(&limits(), &quoted).is_ok());
        let block = format!("{{ a(b: \"\"\"{}\"\"\") }}", "(".repeat(1000));
        assert!(check_nesting(&limits(), &block).is_ok());
    }

    #[test]
    fn control_characters_are_refused_wherever_text_arrives() {
        let store = PersistedQueries::new(8, 1 << 20);
        for bad in ["\u{0}", "\u{7}", "\u{1b}[31m", "\u{7f}", "\u{85}"] {
            let variables = Variables::from_json(serde_json::json!({ "input": { "notes": [format!("a{bad}b")] } }));
            let request = Request::new("query ($input: X) { a(input: $input) }").variables(variables);
            let refused = admit(&limits(), &store, request, Transport::Post, false).err().unwrap();
            assert_eq!(refused.error.code(), "BAD_USER_INPUT", "{bad:?}");
            let escaped: String = bad.chars().map(|c| format!("\\u{:04x}", c as u32)).collect();
            for doc in [
                format!("{{ a(b: \"x{escaped}\") }}"),
                format!("{{ a(b: {{ c: [\"{escaped}\"] }}) }}"),
                format!("{{ ...F }} fragment F on Query {{ a(b: \"{escaped}\") }}"),
                format!("query ($v: String = \"{escaped}\") {{ a(b: $v) }}"),
                format!("{{ a @include(if: true) {{ b(c: \"{escaped}\") }} }}"),
            ] {
                let refused = admit(&limits(), &store, Request::new(doc.clone()), Transport::Post, false).err();
                assert_eq!(refused.map(|r| r.error.code()), Some("BAD_USER_INPUT"), "{doc}");
            }
        }
        let variables = Variables::from_json(serde_json::json!({ "text": "line one\nline two\ttabbed\r\n" }));
        let request = Request::new("query ($text: String) { a(b: $text) }").variables(variables);
        assert!(admit(&limits(), &store, request, Transport::Post, false).is_ok());
    }

    #[test]
    fn get_never_runs_a_mutation() {
        let store = PersistedQueries::new(8, 1 << 20);
        for doc in ["mutation { x }", "subscription { x }", "query A { a } mutation B { b }"] {
            let request = Request::new(doc).operation_name("B");
            let refused = admit(&limits(), &store, request, Transport::Get, false).err().unwrap();
            assert_eq!(refused.status, StatusCode::METHOD_NOT_ALLOWED, "{doc}");
        }
        assert!(admit(&limits(), &store, Request::new("{ a }"), Transport::Get, false).is_ok());
    }

    #[test]
    fn the_store_is_bounded_by_entries_and_bytes() {
        let store = PersistedQueries::new(3, 100);
        for i in 0..5 {
            store.insert(format!("h{i}"), Arc::from("x".repeat(10)));
        }
        assert_eq!(store.usage(), (3, 30));
        assert!(store.get("h0").is_none() && store.get("h4").is_some());
        // h2 is now the least recently used after h3 and h4 are read.
        store.get("h3");
        store.get("h4");
        store.insert("big".into(), Arc::from("y".repeat(80)));
        assert!(store.get("h2").is_none() && store.get("big").is_some());
        assert!(store.usage().1 <= 100);
        store.insert("huge".into(), Arc::from("z".repeat(101)));
        assert!(store.get("huge").is_none());
    }
}
