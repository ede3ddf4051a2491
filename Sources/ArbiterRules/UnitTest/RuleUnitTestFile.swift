/// A rule unit-test file in promtool's format (`promtool test rules`).
struct RuleUnitTestFile: Decodable {
    var ruleFiles: [String]
    var evaluationInterval: String?
    var groupEvalOrder: [String]?
    var tests: [TestGroup]

    enum CodingKeys: String, CodingKey {
        case ruleFiles = "rule_files"
        case evaluationInterval = "evaluation_interval"
        case groupEvalOrder = "group_eval_order"
        case tests
    }

    struct TestGroup: Decodable {
        var name: String?
        var interval: String?
        var inputSeries: [InputSeries]?
        var externalLabels: [String: String]?
        var externalURL: String?
        var alertRuleTest: [AlertTest]?
        var promqlExprTest: [ExprTest]?

        enum CodingKeys: String, CodingKey {
            case name, interval
            case inputSeries = "input_series"
            case externalLabels = "external_labels"
            case externalURL = "external_url"
            case alertRuleTest = "alert_rule_test"
            case promqlExprTest = "promql_expr_test"
        }
    }

    struct InputSeries: Decodable {
        var series: String
        var values: String
    }

    struct AlertTest: Decodable {
        var evalTime: String
        var alertname: String
        var expAlerts: [ExpectedAlert]?

        enum CodingKeys: String, CodingKey {
            case evalTime = "eval_time"
            case alertname
            case expAlerts = "exp_alerts"
        }
    }

    struct ExpectedAlert: Decodable {
        var expLabels: [String: String]?
        var expAnnotations: [String: String]?

        enum CodingKeys: String, CodingKey {
            case expLabels = "exp_labels"
            case expAnnotations = "exp_annotations"
        }
    }

    struct ExprTest: Decodable {
        var expr: String
        var evalTime: String
        var expSamples: [ExpectedSample]?

        enum CodingKeys: String, CodingKey {
            case expr
            case evalTime = "eval_time"
            case expSamples = "exp_samples"
        }
    }

    struct ExpectedSample: Decodable {
        var labels: String?
        var value: Double
    }
}
