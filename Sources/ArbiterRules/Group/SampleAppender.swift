import ArbiterPromQL
import ArbiterTSDB

/// Where rule results are written: recorded series, `ALERTS`, `ALERTS_FOR_STATE`, staleness markers.
public protocol SampleAppender: Sendable {
    @discardableResult
    func append(_ labels: Labels, _ timestamp: Int64, _ value: Double) -> Bool
}

extension Head: SampleAppender {}

/// What rule evaluation reads from and writes to.
public typealias RuleStorage = Queryable & SampleAppender
