import ArbiterTSDB

enum TestHead {
    static var empty: Head { Head() }

    /// `up{i="1"}` and `up{i="2"}`, 1 every minute for 100 minutes.
    static var loaded: Head {
        let head = Head()
        for minute in 0...100 {
            for instance in ["1", "2"] { head.append(Labels(["__name__": "up", "i": instance]), Int64(minute) * 60_000, 1) }
        }
        return head
    }
}
