using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace HeteroBpf.Maps;

/// <summary>
/// <c>BPF_MAP_TYPE_LPM_TRIE</c>: keys are a u32 prefix length followed by data bytes read most significant bit first;
/// a lookup finds the longest stored prefix that covers the key (up to the key's own prefix length).
/// </summary>
/// <remarks>
/// <para>The kernel's shape, so that <c>get_next_key</c> walks in its order: a binary trie of nodes with a prefix,
/// where a node's children split on the first bit after its prefix, and "intermediate" nodes (no value) exist only
/// where two prefixes fork. The walk is post-order, more specific prefixes before the prefixes that cover them.
/// Nodes store the key data as given (bits past the prefix included), as the kernel's do.</para>
/// <para>Nodes live in one cache-line-aligned native pool of 2 × max_entries records (every entry plus at most one
/// fork each), a record holding prefix, flags, both children and the key data together, so a step of a walk touches
/// one cache line and picks its child by indexing, not branching. Values sit in a second pool at the node's index
/// and never move; an update of an existing prefix copies the value in place.</para>
/// <para>Concurrency: writers, and the syscall face's copying lookup, hold the map's lock. A program's lookup takes
/// none, as the kernel's under RCU: a writer fills a node before publishing it with one store of a child link, so
/// a walk sees the trie before or after each insert. Only a delete frees nodes that a later insert may reuse while a
/// walk still stands in them, so deletes bump a sequence count (odd while unlinking) and a walk that overlapped one
/// starts again, the seqlock's retry standing in for RCU's grace period (after a few overlapped walks it waits for
/// the lock instead of spinning).</para>
/// <para>A walk's first steps depend only on a key's first bits, so a top table (2^min(16, log2 max_entries)
/// entries) gives, for each value of those bits, the entry found so far and the node to go on at; writers recompute
/// the part of it under the link they changed. A lookup of a /32 in a 1M-entry trie then starts about 16 levels
/// down. get_next_key and the trie's shape are unchanged.</para>
/// </remarks>
public sealed unsafe class LpmTrieMap : BpfMap
{
    private const int None = -1;
    private const int Intermediate = 1;
    // Lock-free walks a lookup tries before it takes the lock.
    private const int OptimisticWalks = 4;

    // A node's record: the header, then the key data (padded so records are a power of two up to a cache line).
    [StructLayout(LayoutKind.Sequential)]
    private struct Node
    {
        public uint Prefix;
        public int Flags;
        public int Child0;
        public int Child1;
    }

    private readonly NativeBlock _nodes;
    private readonly NativeBlock _values;
    private readonly int _dataSize;
    private readonly int _nodeStride;
    private readonly uint _maxPrefix;
    private readonly int[] _free;
    private readonly Lock _lock = new();
    private readonly (nint, nint)[] _valueMemory;
    private int _freeCount;
    private int _root = None;
    private int _count;
    // Even when no delete is unlinking; see the remarks.
    private int _sequence;
    // The walk's first steps, precomputed: for each value of a key's first _topBits bits, the entry found among
    // the nodes with shorter prefixes (low half) and the node the walk goes on at (high half); None for either.
    private readonly ulong[] _top;
    private readonly int _topBits;

    internal LpmTrieMap(MapSpec spec) : base(spec)
    {
        _dataSize = KeySize - 4;
        _maxPrefix = (uint)_dataSize * 8;
        int record = sizeof(Node) + _dataSize;
        _nodeStride = record <= NativeBlock.CacheLine ? (int)BitOperations.RoundUpToPowerOf2((uint)record) : (record + 15) & ~15;
        int pool = 2 * MaxEntries;
        _nodes = NativeBlock.Allocate((long)pool * _nodeStride, spec.Name, NativeBlock.CacheLine);
        _values = NativeBlock.Allocate((long)pool * ValueStride, spec.Name);
        _valueMemory = [((nint)_values.Start, _values.Length)];
        _free = new int[pool];
        for (int i = 0; i < pool; i++) _free[i] = pool - 1 - i;
        _freeCount = pool;
        // About one entry per top-table slot, at most 2^16 slots, and fewer bits than a key holds.
        _topBits = Math.Clamp(BitOperations.Log2((uint)MaxEntries), 1, Math.Min(16, (int)_maxPrefix - 1));
        _top = new ulong[1 << _topBits];
        _top.AsSpan().Fill(Entry(None, None));
    }

    /// <inheritdoc/>
    public override IReadOnlyList<(nint Start, nint Length)> ValueMemory => _valueMemory;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Node* NodeAt(int node) => (Node*)(_nodes.Start + (nint)node * _nodeStride);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte* DataOf(Node* node) => (byte*)(node + 1);

    private byte* DataAt(int node) => DataOf(NodeAt(node));

    private byte* ValueAt(int node) => _values.Start + (nint)node * ValueStride;

    private uint PrefixOf(int node) => NodeAt(node)->Prefix;

    private bool IsIntermediate(int node) => (NodeAt(node)->Flags & Intermediate) != 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Bit(byte* data, uint index) => (data[index >> 3] >> (int)(7 - (index & 7))) & 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref int Child(Node* node, int bit) => ref (&node->Child0)[bit];

    private ref int Child(int node, int bit) => ref Child(NodeAt(node), bit);

    // How many leading bits of the node's data and the key's agree, up to limit: whole words at a time, most
    // significant bit first (the data is big-endian bit order).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint Match(Node* node, byte* key, uint limit)
    {
        byte* a = DataOf(node);
        byte* b = key + 4;
        if (_dataSize == 4)
        {
            uint diff = Unsafe.ReadUnaligned<uint>(a) ^ Unsafe.ReadUnaligned<uint>(b);
            uint same = diff == 0 ? 32u : (uint)BitOperations.LeadingZeroCount(BinaryPrimitives.ReverseEndianness(diff));
            return Math.Min(same, limit);
        }

        return MatchAny(a, b, limit);
    }

    private uint MatchAny(byte* a, byte* b, uint limit)
    {
        uint bits = 0;
        int offset = 0;
        while (bits < limit)
        {
            int left = _dataSize - offset;
            if (left >= 8)
            {
                ulong diff = Unsafe.ReadUnaligned<ulong>(a + offset) ^ Unsafe.ReadUnaligned<ulong>(b + offset);
                if (diff != 0) return Math.Min(bits + (uint)BitOperations.LeadingZeroCount(BinaryPrimitives.ReverseEndianness(diff)), limit);
                bits += 64;
                offset += 8;
            }
            else if (left >= 4)
            {
                uint diff = Unsafe.ReadUnaligned<uint>(a + offset) ^ Unsafe.ReadUnaligned<uint>(b + offset);
                if (diff != 0) return Math.Min(bits + (uint)BitOperations.LeadingZeroCount(BinaryPrimitives.ReverseEndianness(diff)), limit);
                bits += 32;
                offset += 4;
            }
            else
            {
                int diff = a[offset] ^ b[offset];
                if (diff != 0) return Math.Min(bits + (uint)BitOperations.LeadingZeroCount((uint)diff) - 24, limit);
                bits += 8;
                offset++;
            }
        }

        return limit;
    }

    private uint Match(int node, byte* key) => Match(NodeAt(node), key, Math.Min(PrefixOf(node), *(uint*)key));

    private int Allocate(byte* data, uint prefix, bool intermediate)
    {
        int index = _free[--_freeCount];
        Node* node = NodeAt(index);
        Buffer.MemoryCopy(data, DataOf(node), _dataSize, _dataSize);
        node->Prefix = prefix;
        node->Child0 = node->Child1 = None;
        node->Flags = intermediate ? Intermediate : 0;
        return index;
    }

    private void Release(int node) => _free[_freeCount++] = node;

    private static ulong Entry(int found, int next) => (uint)found | ((ulong)(uint)next << 32);

    // The first _topBits bits of key data, as an index into the top table.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint Top(byte* data)
    {
        uint word = _dataSize >= 4 ? BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(data, 4)) : Word(data);
        return word >> (32 - _topBits);
    }

    private uint Word(byte* data)
    {
        uint word = 0;
        for (int i = 0; i < 4; i++) word = (word << 8) | (i < _dataSize ? data[i] : 0u);
        return word;
    }

    // Under the lock, after the trie changed at a child link (or the flags of a node) whose parent has a prefix of
    // depth - 1 bits (depth 0: the root link) on the path of key data: recomputes the top-table entries whose walk
    // passes there, those agreeing with the key on its first depth bits. Links deeper than the table reaches
    // change nothing in it.
    private void Retop(byte* data, uint depth)
    {
        if (depth > (uint)_topBits) return;
        int bits = (int)depth;
        uint at = bits == 0 ? 0 : Top(data) >> (_topBits - bits) << (_topBits - bits);
        Fill(_root, None, at, bits);
    }

    // Sets the entries whose first bits bits are those of at, all of whose walks reach node having found found.
    private void Fill(int node, int found, uint at, int bits)
    {
        while (true)
        {
            uint size = 1u << (_topBits - bits);
            if (node == None || PrefixOf(node) >= (uint)_topBits)
            {
                SetTop(at, size, Entry(found, node));
                return;
            }

            int prefix = (int)PrefixOf(node);
            uint top = Top(DataAt(node));
            int common = Math.Min(prefix, bits);
            if (common > 0 && (top ^ at) >> (_topBits - common) != 0)
            {
                // The node's prefix differs from every key of the range: their walks stop here.
                SetTop(at, size, Entry(found, None));
                return;
            }

            // Keys that get past the node have found it, if it holds an entry.
            int past = IsIntermediate(node) ? found : node;
            if (prefix < bits)
            {
                // The node covers the whole range, which goes on to one child.
                found = past;
                node = Child(node, (int)(at >> (_topBits - 1 - prefix)) & 1);
                continue;
            }

            // Only the part of the range under the node's prefix gets past it, split between its children.
            uint inner = 1u << (_topBits - prefix);
            uint start = top >> (_topBits - prefix) << (_topBits - prefix);
            SetTop(at, start - at, Entry(found, None));
            SetTop(start + inner, at + size - start - inner, Entry(found, None));
            Fill(Child(node, 0), past, start, prefix + 1);
            found = past;
            node = Child(node, 1);
            at = start + (inner >> 1);
            bits = prefix + 1;
        }
    }

    private void SetTop(uint at, uint count, ulong entry)
    {
        for (uint i = at; i < at + count; i++)
        {
            if (_top[i] != entry) Volatile.Write(ref _top[i], entry);
        }
    }

    // The kernel's lookup walk: the last entry whose whole prefix the key matches. Lock-free callers retry when a
    // delete overlapped (a torn walk may end anywhere, but within the pool and within maxPrefix + 1 steps).
    private int Longest(byte* key, uint keyPrefix)
    {
        int found = None;
        int index;
        if (keyPrefix >= (uint)_topBits)
        {
            ulong entry = Volatile.Read(ref _top[Top(key + 4)]);
            found = (int)entry;
            index = (int)(entry >> 32);
        }
        else
        {
            index = Volatile.Read(ref _root);
        }

        for (uint steps = 0; index != None && steps <= _maxPrefix; steps++)
        {
            Node* node = NodeAt(index);
            uint prefix = node->Prefix;
            uint match = Match(node, key, Math.Min(prefix, keyPrefix));
            if (match == _maxPrefix)
            {
                found = index;
                break;
            }

            if (match < prefix) break;
            if ((Volatile.Read(ref node->Flags) & Intermediate) == 0) found = index;
            index = Volatile.Read(ref Child(node, Bit(key + 4, prefix)));
        }

        return found;
    }

    private protected override Errno LookupCore(ReadOnlySpan<byte> key, Span<byte> value)
    {
        fixed (byte* k = key)
        fixed (byte* v = value)
        {
            // A key longer than the trie's prefixes matches nothing (the kernel checks this before walking).
            if (*(uint*)k > _maxPrefix) return Errno.ENOENT;
            lock (_lock)
            {
                int node = Longest(k, *(uint*)k);
                if (node == None) return Errno.ENOENT;
                CopyValue(v, ValueAt(node), ValueSize, intoMap: false);
                return Errno.Ok;
            }
        }
    }

    private protected override Errno UpdateCore(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ulong flags)
    {
        fixed (byte* k = key)
        fixed (byte* v = value)
        {
            return (Errno)(-UpdateElem(k, v, flags, 0));
        }
    }

    private protected override Errno DeleteCore(ReadOnlySpan<byte> key)
    {
        fixed (byte* k = key)
        {
            return (Errno)(-DeleteElem(k));
        }
    }

    /// <inheritdoc/>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public override byte* LookupElem(byte* key, int cpu)
    {
        uint keyPrefix = *(uint*)key;
        if (keyPrefix > _maxPrefix) return null;
        int found;
        for (int attempt = 0; attempt < OptimisticWalks; attempt++)
        {
            int sequence = Volatile.Read(ref _sequence);
            if ((sequence & 1) == 0)
            {
                found = Longest(key, keyPrefix);
                // The walk's plain loads must complete before the sequence is read again (x86 keeps loads in order).
                if (!X86Base.IsSupported) Interlocked.MemoryBarrier();
                if (Volatile.Read(ref _sequence) == sequence) return found == None ? null : ValueAt(found);
            }

            Thread.SpinWait(1);
        }

        // Deletes kept overlapping (or a writer was descheduled mid-delete): wait for the lock once.
        lock (_lock) found = Longest(key, keyPrefix);
        return found == None ? null : ValueAt(found);
    }

    // Room for one more entry, or the errno the kernel gives (BPF_EXIST on a missing prefix, a full trie).
    private long CheckAdd(ulong flags)
    {
        if (flags == (ulong)UpdateFlags.Exist) return Fail(Errno.ENOENT);
        if (_count == MaxEntries) return Fail(Errno.ENOSPC);
        _count++;
        return 0;
    }

    /// <inheritdoc/>
    public override long UpdateElem(byte* key, byte* value, ulong flags, int cpu)
    {
        if (flags > (ulong)UpdateFlags.Exist) return Fail(Errno.EINVAL);
        uint prefix = *(uint*)key;
        if (prefix > _maxPrefix) return Fail(Errno.EINVAL);

        lock (_lock)
        {
            // Replacing the value of a stored prefix changes no link: found from the top table.
            int stored = Stored(key, prefix);
            if (stored != None)
            {
                if (flags == (ulong)UpdateFlags.NoExist) return Fail(Errno.EEXIST);
                Buffer.MemoryCopy(key + 4, DataAt(stored), _dataSize, _dataSize);
                CopyValue(ValueAt(stored), value, ValueSize, intoMap: true);
                return 0;
            }

            // Descend while the node's whole prefix matches and is shorter than the key's; depth is the bits the
            // walk has decided on reaching slot.
            ref int slot = ref _root;
            uint depth = 0;
            int node = None;
            uint match = 0;
            while ((node = slot) != None)
            {
                match = Match(node, key);
                if (PrefixOf(node) != match || PrefixOf(node) == prefix) break;
                depth = PrefixOf(node) + 1;
                slot = ref Child(node, Bit(key + 4, PrefixOf(node)));
            }

            // Every new node is complete before the one store that makes it reachable; the top table follows.
            long error;
            int fresh;
            if (node == None)
            {
                if ((error = CheckAdd(flags)) != 0) return error;
                fresh = Allocate(key + 4, prefix, intermediate: false);
                CopyValue(ValueAt(fresh), value, ValueSize, intoMap: true);
                Volatile.Write(ref slot, fresh);
                Retop(key + 4, depth);
                return 0;
            }

            if (PrefixOf(node) == match)
            {
                // The same prefix: replace the entry, or give a fork node its value (the data changes only past
                // the prefix, which no walk compares).
                bool wasFork = IsIntermediate(node);
                if (!wasFork)
                {
                    if (flags == (ulong)UpdateFlags.NoExist) return Fail(Errno.EEXIST);
                }
                else if ((error = CheckAdd(flags)) != 0)
                {
                    return error;
                }

                Buffer.MemoryCopy(key + 4, DataAt(node), _dataSize, _dataSize);
                CopyValue(ValueAt(node), value, ValueSize, intoMap: true);
                if (wasFork)
                {
                    Volatile.Write(ref NodeAt(node)->Flags, 0);
                    Retop(key + 4, depth);
                }

                return 0;
            }

            if ((error = CheckAdd(flags)) != 0) return error;
            fresh = Allocate(key + 4, prefix, intermediate: false);
            CopyValue(ValueAt(fresh), value, ValueSize, intoMap: true);
            if (match == prefix)
            {
                // The new prefix covers the node: it becomes the node's parent.
                Child(fresh, Bit(DataAt(node), match)) = node;
                Volatile.Write(ref slot, fresh);
                Retop(key + 4, depth);
                return 0;
            }

            // The two prefixes fork after match bits: a valueless node holds both.
            int fork = Allocate(DataAt(node), match, intermediate: true);
            int newSide = Bit(key + 4, match);
            Child(fork, newSide) = fresh;
            Child(fork, 1 - newSide) = node;
            Volatile.Write(ref slot, fork);
            Retop(key + 4, depth);
            return 0;
        }
    }

    // Under the lock: the entry node of exactly the key's prefix, found from the top table, or None (also when the
    // key is shorter than the table's bits, for the full descent to handle).
    private int Stored(byte* key, uint prefix)
    {
        if (prefix < (uint)_topBits) return None;
        int node = (int)(_top[Top(key + 4)] >> 32);
        while (node != None)
        {
            uint match = Match(node, key);
            if (PrefixOf(node) != match) return None;
            if (match == prefix) return IsIntermediate(node) ? None : node;
            node = Child(node, Bit(key + 4, PrefixOf(node)));
        }

        return None;
    }

    /// <inheritdoc/>
    public override long DeleteElem(byte* key)
    {
        uint prefix = *(uint*)key;
        if (prefix > _maxPrefix) return Fail(Errno.EINVAL);

        lock (_lock)
        {
            ref int slot = ref _root;
            ref int parentSlot = ref _root;
            uint depth = 0, parentDepth = 0;
            int parent = None;
            int node;
            uint match = 0;
            while ((node = slot) != None)
            {
                match = Match(node, key);
                if (PrefixOf(node) != match || PrefixOf(node) == prefix) break;
                parent = node;
                parentSlot = ref slot;
                parentDepth = depth;
                depth = PrefixOf(node) + 1;
                slot = ref Child(node, Bit(key + 4, PrefixOf(node)));
            }

            if (node == None || PrefixOf(node) != prefix || PrefixOf(node) != match || IsIntermediate(node)) return Fail(Errno.ENOENT);
            _count--;

            int left = Child(node, 0), right = Child(node, 1);
            if (left != None && right != None)
            {
                // Still a fork between its two subtrees; nothing is freed.
                Volatile.Write(ref NodeAt(node)->Flags, Intermediate);
                Retop(key + 4, depth);
                return 0;
            }

            // Nodes are freed from here on: walks that overlap start again (see the remarks).
            Interlocked.Increment(ref _sequence);
            if (parent != None && IsIntermediate(parent) && left == None && right == None)
            {
                // A leaf under a fork: the fork is no longer needed, the sibling takes its place.
                Volatile.Write(ref parentSlot, Child(parent, 0) == node ? Child(parent, 1) : Child(parent, 0));
                Retop(key + 4, parentDepth);
                Release(parent);
            }
            else
            {
                Volatile.Write(ref slot, left != None ? left : right);
                Retop(key + 4, depth);
            }

            Release(node);
            Interlocked.Increment(ref _sequence);
            return 0;
        }
    }

    private protected override Errno GetNextKeyCore(ReadOnlySpan<byte> key, Span<byte> next)
    {
        fixed (byte* k = key)
        {
            lock (_lock)
            {
                if (_root == None) return Errno.ENOENT;
                int start = _root;
                int found = None;
                if (!key.IsEmpty && *(uint*)k <= _maxPrefix)
                {
                    // The path to the key's node; a key that is not stored restarts at the first node.
                    Span<int> path = stackalloc int[(int)_maxPrefix + 2];
                    int depth = 0;
                    uint prefix = *(uint*)k;
                    int node = _root;
                    uint match = 0;
                    while (node != None)
                    {
                        path[depth++] = node;
                        match = Match(node, k);
                        if (PrefixOf(node) != match || PrefixOf(node) == prefix) break;
                        node = Child(node, Bit(k + 4, PrefixOf(node)));
                    }

                    if (node != None && PrefixOf(node) == match && !IsIntermediate(node))
                    {
                        // Post-order successor: the leftmost entry of the right sibling subtree, else the first
                        // ancestor holding a value.
                        start = None;
                        int at = depth - 1;
                        while (at > 0 && found == None)
                        {
                            int up = path[at - 1];
                            if (Child(up, 0) == path[at] && Child(up, 1) != None)
                            {
                                start = Child(up, 1);
                                break;
                            }

                            if (!IsIntermediate(up)) found = up;
                            at--;
                        }

                        if (found == None && start == None) return Errno.ENOENT;
                    }
                }

                if (found == None) found = FirstInPostOrder(start);
                BinaryPrimitives.WriteUInt32LittleEndian(next, PrefixOf(found));
                new ReadOnlySpan<byte>(DataAt(found), _dataSize).CopyTo(next[4..]);
                return Errno.Ok;
            }
        }
    }

    // The deepest leftmost entry under node; fork nodes always have two children, so one exists.
    private int FirstInPostOrder(int node)
    {
        int found = None;
        while (node != None)
        {
            if (IsIntermediate(node))
            {
                node = Child(node, 0);
                continue;
            }

            found = node;
            node = Child(node, 0) != None ? Child(node, 0) : Child(node, 1);
        }

        return found;
    }

    private protected override void FreeMemory()
    {
        _nodes?.Dispose();
        _values?.Dispose();
    }
}
