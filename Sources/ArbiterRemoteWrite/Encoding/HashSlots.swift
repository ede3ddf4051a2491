/// An open-addressing table from a 64-bit hash to a slot number, with linear probing and
/// backward-shift deletion: the round encoder's index of series, one probe for most lookups and no
/// rehashing of the key (Swift's `Dictionary` hashes even an integer key again).
struct HashSlots {
    private var hashes: [UInt64]
    private var slots: [Int32]
    private var mask: Int
    private(set) var count = 0

    init(capacity: Int = 1024) {
        let size = max(16, capacity.nextPowerOfTwo)
        self.hashes = [UInt64](repeating: 0, count: size)
        self.slots = [Int32](repeating: 0, count: size)
        self.mask = size - 1
    }

    /// 0 marks an empty position, so no stored hash is 0.
    private static func stored(_ hash: UInt64) -> UInt64 { hash == 0 ? 1 : hash }

    /// The slots stored under `hash` (more than one only on a collision), until `matches` says yes.
    func first(_ hash: UInt64, where matches: (Int) -> Bool) -> Int? {
        let hash = Self.stored(hash)
        var position = Int(truncatingIfNeeded: hash) & self.mask
        while self.hashes[position] != 0 {
            if self.hashes[position] == hash, matches(Int(self.slots[position])) { return Int(self.slots[position]) }
            position = (position + 1) & self.mask
        }
        return nil
    }

    mutating func insert(_ hash: UInt64, slot: Int) {
        if (self.count + 1) * 2 > self.hashes.count { self.grow() }
        let hash = Self.stored(hash)
        var position = Int(truncatingIfNeeded: hash) & self.mask
        while self.hashes[position] != 0 { position = (position + 1) & self.mask }
        self.hashes[position] = hash
        self.slots[position] = Int32(slot)
        self.count += 1
    }

    mutating func remove(_ hash: UInt64, slot: Int) {
        let hash = Self.stored(hash)
        var position = Int(truncatingIfNeeded: hash) & self.mask
        while self.hashes[position] != 0, !(self.hashes[position] == hash && self.slots[position] == Int32(slot)) {
            position = (position + 1) & self.mask
        }
        guard self.hashes[position] != 0 else { return }
        self.count -= 1
        // Shift later members of the run back into the gap, so no lookup stops early.
        var gap = position
        var next = (gap + 1) & self.mask
        while self.hashes[next] != 0 {
            let home = Int(truncatingIfNeeded: self.hashes[next]) & self.mask
            if (next - home) & self.mask >= (next - gap) & self.mask {
                self.hashes[gap] = self.hashes[next]
                self.slots[gap] = self.slots[next]
                gap = next
            }
            next = (next + 1) & self.mask
        }
        self.hashes[gap] = 0
    }

    private mutating func grow() {
        let (hashes, slots) = (self.hashes, self.slots)
        self = HashSlots(capacity: hashes.count * 2)
        for index in hashes.indices where hashes[index] != 0 { self.insert(hashes[index], slot: Int(slots[index])) }
    }
}

extension Int {
    fileprivate var nextPowerOfTwo: Int {
        self <= 1 ? 1 : 1 << (Int.bitWidth - (self - 1).leadingZeroBitCount)
    }
}
