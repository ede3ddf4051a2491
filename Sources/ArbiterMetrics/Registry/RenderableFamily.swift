import NIOCore

/// What the registry needs of a family, whatever its type: its description and a way to render it.
protocol RenderableFamily: AnyObject, Sendable {
    var descriptor: FamilyDescriptor { get }
    /// The number of series created so far.
    var seriesCount: Int { get }
    /// Appends the family's metadata lines and samples; appends nothing when it has no series yet.
    func render(into out: inout ByteBuffer, format: ExpositionFormat)
}
