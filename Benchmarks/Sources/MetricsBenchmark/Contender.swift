/// One metrics library under test, driven through the same workloads.
protocol Contender {
    var name: String { get }
    /// Increments one counter `iterations` times on each of `threads` threads; returns wall time.
    func incrementCounter(threads: Int, iterations: Int) -> Duration
    /// Observes `iterations` values into one histogram on each of `threads` threads; returns wall time.
    func observeHistogram(threads: Int, iterations: Int, values: [Double]) -> Duration
    /// Creates `count` series in one fresh family; returns the time taken.
    func createSeries(count: Int, labelValues: [String]) -> Duration
    /// Builds the render workload and returns a closure that renders it into a reused buffer and
    /// returns the number of bytes rendered.
    func renderWorkload(_ workload: RenderWorkload) -> () -> Int
}

/// The registry to render: counter and gauge families with many series, plus histogram families.
struct RenderWorkload {
    var counterFamilies = 50
    var gaugeFamilies = 50
    var seriesPerFamily = 1000
    var histogramFamilies = 20
    var seriesPerHistogram = 50
    var observationsPerHistogram = 20

    var seriesCount: Int { (self.counterFamilies + self.gaugeFamilies) * self.seriesPerFamily + self.histogramFamilies * self.seriesPerHistogram }

    /// Label values for series `index`: an instance and a path, as a real service would have.
    func labels(_ index: Int) -> (String, String) {
        ("host-\(index % 40).example.internal:9100", "/api/v1/resource/\(index)")
    }
}
