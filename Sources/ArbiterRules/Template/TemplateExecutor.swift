/// Runs parsed template nodes: variables in nested scopes, `.` rebinding in `with` and `range`.
struct TemplateExecutor {
    let name: String
    let context: Template.Context
    let root: TemplateValue
    var scopes: [[String: TemplateValue]] = []

    init(name: String, context: Template.Context, root: TemplateValue) {
        self.name = name
        self.context = context
        self.root = root
    }

    func error(_ line: Int, _ message: String) -> TemplateError {
        TemplateError("template: \(self.name):\(line): \(message)")
    }

    mutating func run(_ nodes: [TemplateNode], dot: TemplateValue, into out: inout String) throws(TemplateError) {
        for node in nodes {
            switch node {
            case .text(let text): out += text
            case .action(let pipeline, let line):
                let value = try self.evaluate(pipeline, dot: dot, line: line)
                if pipeline.variables.isEmpty { out += value.printed }
            case .block(let kind, let pipeline, let then, let otherwise, let line):
                self.scopes.append([:])
                defer { self.scopes.removeLast() }
                switch kind {
                case .if:
                    let value = try self.evaluate(pipeline, dot: dot, line: line)
                    try self.run(value.isTrue ? then : otherwise, dot: dot, into: &out)
                case .with:
                    let value = try self.evaluate(pipeline, dot: dot, line: line)
                    if value.isTrue { try self.run(then, dot: value, into: &out) } else { try self.run(otherwise, dot: dot, into: &out) }
                case .range:
                    var bare = pipeline
                    bare.variables = []
                    let elements = try self.elements(try self.evaluate(bare, dot: dot, line: line), line: line)
                    if elements.isEmpty { try self.run(otherwise, dot: dot, into: &out) }
                    for (key, element) in elements {
                        if pipeline.variables.count == 1 { self.scopes[self.scopes.count - 1][pipeline.variables[0]] = element }
                        if pipeline.variables.count == 2 {
                            self.scopes[self.scopes.count - 1][pipeline.variables[0]] = key
                            self.scopes[self.scopes.count - 1][pipeline.variables[1]] = element
                        }
                        try self.run(then, dot: element, into: &out)
                    }
                }
            }
        }
    }

    /// What `range` walks: list elements with their index, map values by sorted key.
    func elements(_ value: TemplateValue, line: Int) throws(TemplateError) -> [(TemplateValue, TemplateValue)] {
        switch value {
        case .samples(let list): return list.enumerated().map { (.int($0.offset), .sample($0.element)) }
        case .labels(let map): return map.keys.sorted().map { (.string($0), .string(map[$0]!)) }
        case .none: return []
        default: throw self.error(line, "range can't iterate over \(value.printed)")
        }
    }

    mutating func evaluate(_ pipeline: TemplatePipeline, dot: TemplateValue, line: Int) throws(TemplateError) -> TemplateValue {
        var value: TemplateValue?
        for command in pipeline.commands {
            value = try self.command(command, dot: dot, piped: value, line: line)
        }
        let result = value ?? .none
        for variable in pipeline.variables {
            if pipeline.declares {
                self.scopes[self.scopes.count - 1][variable] = result
            } else if let scope = self.scopes.lastIndex(where: { $0[variable] != nil }) {
                self.scopes[scope][variable] = result
            } else {
                throw self.error(line, "undefined variable: \(variable)")
            }
        }
        return result
    }

    mutating func command(_ command: TemplateCommand, dot: TemplateValue, piped: TemplateValue?, line: Int) throws(TemplateError) -> TemplateValue {
        let operands = command.operands
        if case .function(let name) = operands[0] {
            var args: [TemplateValue] = []
            for operand in operands.dropFirst() { args.append(try self.operand(operand, dot: dot, line: line)) }
            if let piped { args.append(piped) }
            do {
                return try TemplateFunctions.call(name, args, context: self.context)
            } catch {
                throw TemplateError(
                    "template: \(self.name):\(command.line):\(command.column): executing \"\(self.name)\" at <\(command.text)>: error calling \(name): \(error.description)")
            }
        }
        guard operands.count == 1, piped == nil else { throw self.error(line, "can't give argument to non-function \(operands[0])") }
        return try self.operand(operands[0], dot: dot, line: line)
    }

    mutating func operand(_ operand: TemplateOperand, dot: TemplateValue, line: Int) throws(TemplateError) -> TemplateValue {
        do throws(TemplateError) {
            switch operand {
            case .literal(let value): return value
            case .function(let name): return try TemplateFunctions.call(name, [], context: self.context)
            case .dot(let path): return try Self.follow(dot, path)
            case .variable(let name, let path):
                guard let value = self.scopes.last(where: { $0[name] != nil })?[name] else { throw TemplateError("undefined variable \"\(name)\"") }
                return try Self.follow(value, path)
            case .pipeline(let pipeline, let path): return try Self.follow(try self.evaluate(pipeline, dot: dot, line: line), path)
            }
        } catch {
            throw error.description.hasPrefix("template:") ? error : self.error(line, error.description)
        }
    }

    static func follow(_ value: TemplateValue, _ path: [String]) throws(TemplateError) -> TemplateValue {
        var current = value
        for name in path { current = try current.field(name) }
        return current
    }
}
