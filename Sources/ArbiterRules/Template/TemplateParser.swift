/// Parses Go `text/template` source into nodes: `{{ }}` actions with `-` trim markers, comments,
/// pipelines, variables, fields, and `if`/`else if`/`else`/`with`/`range`/`end`.
struct TemplateParser {
    enum Token: Equatable {
        case identifier(String)
        case field([String])
        case variable(String, [String])
        case literal(String)
        case number(String)
        case pipe, leftParen, rightParen, declare, assign, comma
    }

    /// A token with the character offsets where it starts and ends.
    struct Positioned {
        var token: Token
        var start: Int
        var end: Int
    }

    let name: String
    let functions: Set<String>
    /// Characters Prometheus puts before every alert template (`{{$labels := .Labels}}…`), which
    /// Go counts in the column of errors on the first line.
    let prelude: Int
    private let characters: [Character]
    private var index = 0
    private var line = 1
    /// How many `if`/`with`/`range` blocks enclose the text being read.
    private var blockDepth = 0

    /// The deepest nesting of blocks, and of parentheses in a pipeline, a template may have. Parsing and
    /// execution recurse on both, so the bound keeps a hostile template from exhausting the stack.
    static let maxDepth = 100

    init(_ source: String, name: String, functions: Set<String>, prelude: Int) {
        self.characters = Array(source)
        self.name = name
        self.functions = functions
        self.prelude = prelude
    }

    func error(_ message: String) -> TemplateError {
        TemplateError("template: \(self.name):\(self.line): \(message)")
    }

    /// The whole template.
    mutating func parse() throws(TemplateError) -> [TemplateNode] {
        let (nodes, terminator) = try self.nodes()
        if let terminator { throw self.error("unexpected {{\(terminator)}}") }
        return nodes
    }

    /// Nodes up to `{{end}}` or `{{else…}}` (returned as the terminator) or the end of input.
    private mutating func nodes() throws(TemplateError) -> ([TemplateNode], String?) {
        var nodes: [TemplateNode] = []
        while self.index < self.characters.count {
            let text = self.textUntilAction()
            guard self.index < self.characters.count else {
                if !text.isEmpty { nodes.append(.text(text)) }
                break
            }
            // At "{{".
            self.index += 2
            var trimmedText = text
            if self.peek() == "-", self.peek(1)?.isWhitespace == true {
                trimmedText = String(text.reversed().drop { $0.isWhitespace }.reversed())
                self.index += 1
            }
            if !trimmedText.isEmpty { nodes.append(.text(trimmedText)) }
            let actionLine = self.line
            let tokens = try self.actionTokens()
            guard let first = tokens.first?.token else { continue }  // a comment
            if case .identifier(let word) = first {
                switch word {
                case "end": return (nodes, "end")
                case "else": return (nodes, tokens.count > 1 ? "else if" : "else")
                case "if", "with", "range":
                    let block = TemplateNode.Block(rawValue: word)!
                    var pipeline = try self.pipeline(Array(tokens.dropFirst()))
                    if block != .range && pipeline.variables.count > 1 { throw self.error("too many declarations in \(word)") }
                    if pipeline.commands.isEmpty { throw self.error("missing value for \(word)") }
                    guard self.blockDepth < Self.maxDepth else { throw self.error("blocks nested more than \(Self.maxDepth) deep") }
                    self.blockDepth += 1
                    defer { self.blockDepth -= 1 }
                    var (then, terminator) = try self.nodes()
                    var otherwise: [TemplateNode] = []
                    if terminator == "else if" && block == .if {
                        // `{{else if x}}` is `{{else}}{{if x}}…{{end}}` sharing the one `{{end}}`.
                        let elseTokens = try self.lastElseIf()
                        let nested = try self.elseIfChain(elseTokens, line: self.line)
                        otherwise = [nested]
                        terminator = "end"
                    } else if terminator == "else" {
                        (otherwise, terminator) = try self.nodes()
                    }
                    guard terminator == "end" else { throw self.error("unexpected EOF") }
                    if block == .range, pipeline.variables.count > 2 { throw self.error("too many declarations in range") }
                    pipeline.declares = true
                    nodes.append(.block(block, pipeline, then: then, otherwise: otherwise, line: actionLine))
                    continue
                case "define", "template", "block", "break", "continue":
                    throw self.error("\(word) is not supported in alert templates")
                default: break
                }
            }
            nodes.append(.action(try self.pipeline(tokens), line: actionLine))
        }
        return (nodes, nil)
    }

    /// The tokens of the `{{else if …}}` just read (kept by ``nodes()``).
    private var pendingElseIf: [Positioned] = []

    private mutating func lastElseIf() throws(TemplateError) -> [Positioned] { self.pendingElseIf }

    private mutating func elseIfChain(_ tokens: [Positioned], line: Int) throws(TemplateError) -> TemplateNode {
        // Each `else if` nests one block deeper, in the tree and in this recursion.
        guard self.blockDepth < Self.maxDepth else { throw self.error("blocks nested more than \(Self.maxDepth) deep") }
        self.blockDepth += 1
        defer { self.blockDepth -= 1 }
        let pipeline = try self.pipeline(tokens)
        var (then, terminator) = try self.nodes()
        var otherwise: [TemplateNode] = []
        if terminator == "else if" {
            otherwise = [try self.elseIfChain(self.pendingElseIf, line: self.line)]
            terminator = "end"
        } else if terminator == "else" {
            (otherwise, terminator) = try self.nodes()
        }
        guard terminator == "end" else { throw self.error("unexpected EOF") }
        return .block(.if, pipeline, then: then, otherwise: otherwise, line: line)
    }

    private func peek(_ offset: Int = 0) -> Character? {
        self.index + offset < self.characters.count ? self.characters[self.index + offset] : nil
    }

    private mutating func textUntilAction() -> String {
        var text = ""
        while self.index < self.characters.count {
            if self.characters[self.index] == "{", self.peek(1) == "{" { return text }
            if self.characters[self.index] == "\n" { self.line += 1 }
            text.append(self.characters[self.index])
            self.index += 1
        }
        return text
    }

    /// The tokens up to `}}`, consuming a `-}}` trim marker and the whitespace after it.
    private mutating func actionTokens() throws(TemplateError) -> [Positioned] {
        var tokens: [Positioned] = []
        while true {
            while let character = self.peek(), character.isWhitespace {
                if character == "\n" { self.line += 1 }
                self.index += 1
            }
            guard let character = self.peek() else { throw self.error("unclosed action") }
            if character == "-", self.peek(1) == "}", self.peek(2) == "}" {
                self.index += 3
                while let next = self.peek(), next.isWhitespace {
                    if next == "\n" { self.line += 1 }
                    self.index += 1
                }
                break
            }
            if character == "}", self.peek(1) == "}" {
                self.index += 2
                break
            }
            if character == "/", self.peek(1) == "*" {
                try self.skipComment()
                continue
            }
            let start = self.index
            let token = try self.token()
            tokens.append(Positioned(token: token, start: start, end: self.index))
        }
        if tokens.first?.token == .identifier("else"), tokens.count > 1 {
            guard tokens[1].token == .identifier("if") else { throw self.error("unexpected \(tokens[1].token) in else") }
            self.pendingElseIf = Array(tokens.dropFirst(2))
        }
        return tokens
    }

    private mutating func skipComment() throws(TemplateError) {
        self.index += 2
        while self.index + 1 < self.characters.count {
            if self.characters[self.index] == "*", self.characters[self.index + 1] == "/" {
                self.index += 2
                return
            }
            if self.characters[self.index] == "\n" { self.line += 1 }
            self.index += 1
        }
        throw self.error("unclosed comment")
    }

    private mutating func token() throws(TemplateError) -> Token {
        let character = self.characters[self.index]
        switch character {
        case "|": self.index += 1; return .pipe
        case "(": self.index += 1; return .leftParen
        case ")": self.index += 1; return .rightParen
        case ",": self.index += 1; return .comma
        case "=": self.index += 1; return .assign
        case ":":
            guard self.peek(1) == "=" else { throw self.error("expected :=") }
            self.index += 2
            return .declare
        case "\"", "`": return .literal(try self.quoted(character))
        case ".":
            if let next = self.peek(1), next.isNumber { return .number(self.word()) }
            return .field(self.path())
        case "$":
            self.index += 1
            let name = "$" + self.identifier()
            return .variable(name, self.path())
        default:
            if character.isNumber || character == "-" || character == "+" { return .number(self.word()) }
            if character.isLetter || character == "_" { return .identifier(self.identifier()) }
            throw self.error("unexpected \"\(character)\" in command")
        }
    }

    private mutating func identifier() -> String {
        var out = ""
        while let character = self.peek(), character.isLetter || character.isNumber || character == "_" {
            out.append(character)
            self.index += 1
        }
        return out
    }

    private mutating func word() -> String {
        var out = ""
        while let character = self.peek(), character.isLetter || character.isNumber || ".+-_".contains(character) {
            out.append(character)
            self.index += 1
        }
        return out
    }

    /// `.A.B` (or `.` alone) at the current position.
    private mutating func path() -> [String] {
        var path: [String] = []
        while self.peek() == "." {
            self.index += 1
            let name = self.identifier()
            if name.isEmpty { break }
            path.append(name)
        }
        return path
    }

    private mutating func quoted(_ quote: Character) throws(TemplateError) -> String {
        self.index += 1
        var out = ""
        while let character = self.peek() {
            self.index += 1
            if character == quote { return out }
            if character == "\\", quote == "\"", let escaped = self.peek() {
                self.index += 1
                switch escaped {
                case "n": out.append("\n")
                case "t": out.append("\t")
                case "r": out.append("\r")
                case "\\", "\"", "'": out.append(escaped)
                default: throw self.error("invalid syntax: unknown escape \\\(escaped)")
                }
                continue
            }
            if character == "\n", quote == "\"" { break }
            out.append(character)
        }
        throw self.error("unterminated quoted string")
    }

    // MARK: Pipelines

    func pipeline(_ positioned: [Positioned], depth: Int = 0) throws(TemplateError) -> TemplatePipeline {
        guard depth < Self.maxDepth else { throw self.error("parentheses nested more than \(Self.maxDepth) deep") }
        var tokens = positioned[...]
        var pipeline = TemplatePipeline()
        // `$x :=`, `$x =`, `$i, $x :=`.
        if let declaration = tokens.firstIndex(where: { $0.token == .declare || $0.token == .assign }),
            tokens[..<declaration].allSatisfy({ if case .variable(_, let path) = $0.token { return path.isEmpty }; return $0.token == .comma })
        {
            pipeline.variables = tokens[..<declaration].compactMap { if case .variable(let name, _) = $0.token { return name }; return nil }
            pipeline.declares = tokens[declaration].token == .declare
            tokens = tokens[(declaration + 1)...]
        }
        var command: [TemplateOperand] = []
        var span: (start: Int, end: Int)?
        func finish() {
            guard let (start, end) = span else { return }
            pipeline.commands.append(self.command(command, from: start, to: end))
        }
        while let positionedToken = tokens.first {
            tokens = tokens.dropFirst()
            let token = positionedToken.token
            if token != .pipe { span = (span?.start ?? positionedToken.start, positionedToken.end) }
            switch token {
            case .pipe:
                guard !command.isEmpty else { throw self.error("missing command") }
                finish()
                command = []
                span = nil
            case .leftParen:
                var open = 1
                var inner: [Positioned] = []
                while let next = tokens.first {
                    tokens = tokens.dropFirst()
                    span = (span?.start ?? next.start, next.end)
                    if next.token == .leftParen { open += 1 }
                    if next.token == .rightParen {
                        open -= 1
                        if open == 0 { break }
                    }
                    inner.append(next)
                }
                guard open == 0 else { throw self.error("unclosed left paren") }
                var path: [String] = []
                if let next = tokens.first, case .field(let fields) = next.token {
                    path = fields
                    span = (span?.start ?? next.start, next.end)
                    tokens = tokens.dropFirst()
                }
                command.append(.pipeline(try self.pipeline(inner, depth: depth + 1), path))
            case .rightParen: throw self.error("unexpected right paren")
            case .identifier(let word):
                switch word {
                case "true": command.append(.literal(.bool(true)))
                case "false": command.append(.literal(.bool(false)))
                case "nil": command.append(.literal(.none))
                default:
                    guard self.functions.contains(word) else { throw self.error("function \"\(word)\" not defined") }
                    command.append(.function(word))
                }
            case .field(let path): command.append(.dot(path))
            case .variable(let name, let path): command.append(.variable(name, path))
            case .literal(let text): command.append(.literal(.string(text)))
            case .number(let text):
                if let integer = Int(text) {
                    command.append(.literal(.int(integer)))
                } else if let value = Double(text) {
                    command.append(.literal(.float(value)))
                } else {
                    throw self.error("bad number syntax: \"\(text)\"")
                }
            case .declare, .assign, .comma: throw self.error("unexpected \"\(token)\" in operand")
            }
        }
        if !command.isEmpty { finish() }
        return pipeline
    }

    /// A command with its line, Go's column and its text.
    func command(_ operands: [TemplateOperand], from start: Int, to end: Int) -> TemplateCommand {
        let before = self.characters[..<start]
        let line = 1 + before.filter { $0 == "\n" }.count
        let column = before.lastIndex(of: "\n").map { start - $0 - 1 } ?? (start + self.prelude)
        return TemplateCommand(operands: operands, line: line, column: column, text: String(self.characters[start..<end]))
    }
}
