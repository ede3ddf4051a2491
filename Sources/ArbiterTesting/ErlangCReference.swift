/// Erlang C from its closed form with factorial terms, written apart from Arbiter's recursion so
/// tests check one against the other.
public enum ErlangCReference {
    /// C(c, a) = (aᶜ/c! · c/(c−a)) / (Σₖ₌₀^{c−1} aᵏ/k! + aᶜ/c! · c/(c−a)), for c > a.
    public static func probabilityOfWaiting(servers c: Int, load a: Double) -> Double {
        var term = 1.0
        var sum = 0.0
        for k in 0..<c {
            sum += term
            term *= a / Double(k + 1)
        }
        let top = term * Double(c) / (Double(c) - a)
        return top / (sum + top)
    }

    /// The mean queue wait, infinite when `servers` cannot keep up.
    public static func meanWait(servers c: Int, arrivalRate: Double, serviceSeconds: Double) -> Double {
        let a = arrivalRate * serviceSeconds
        guard Double(c) > a else { return .infinity }
        return self.probabilityOfWaiting(servers: c, load: a) * serviceSeconds / (Double(c) - a)
    }
}
