/// A parsed template: text, actions and the `if`/`with`/`range` blocks of Go's `text/template`.
indirect enum TemplateNode: Sendable {
    enum Block: String, Sendable { case `if`, with, range }

    case text(String)
    case action(TemplatePipeline, line: Int)
    case block(Block, TemplatePipeline, then: [TemplateNode], otherwise: [TemplateNode], line: Int)
}

/// `$x := cmd arg | cmd`.
struct TemplatePipeline: Sendable {
    var variables: [String] = []
    /// `=` assigns to an existing variable; `:=` declares.
    var declares = true
    var commands: [TemplateCommand] = []
}

/// One command of a pipeline, with where it stands (for Go's `template: NAME:LINE:COL:` errors).
struct TemplateCommand: Sendable {
    var operands: [TemplateOperand]
    var line: Int
    /// As Go counts it: the byte offset in its line, the alert prelude included on line 1.
    var column: Int
    /// The command as written (`gt $value 1`).
    var text: String
}

indirect enum TemplateOperand: Sendable {
    case literal(TemplateValue)
    case function(String)
    /// `.` or `.A.B`.
    case dot([String])
    /// `$x` or `$x.A`.
    case variable(String, [String])
    /// `(pipeline).A`.
    case pipeline(TemplatePipeline, [String])
}
