using System.Buffers.Binary;
using System.Numerics;

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
/// <para>Nodes live in a pool of 2 × max_entries (every entry plus at most one fork each); values never move. An
/// update of an existing prefix copies the value in place. Every operation, a program's lookup included, holds the
/// map's lock (the kernel's lookup is lock-free under RCU).</para>
/// </remarks>
public sealed unsafe class LpmTrieMap : BpfMap
{
    private const int None = -1;

    private readonly NativeBlock _data;
    private readonly NativeBlock _values;
    private readonly int _dataSize;
    private readonly uint _maxPrefix;
    private readonly uint[] _prefix;
    private readonly int[] _child0;
    private readonly int[] _child1;
    private readonly bool[] _intermediate;
    private readonly int[] _free;
    private readonly Lock _lock = new();
    private readonly (nint, nint)[] _valueMemory;
    private int _freeCount;
    private int _root = None;
    private int _count;

    internal LpmTrieMap(MapSpec spec) : base(spec)
    {
        _dataSize = KeySize - 4;
        _maxPrefix = (uint)_dataSize * 8;
        int pool = 2 * MaxEntries;
        _data = NativeBlock.Allocate((long)pool * _dataSize, spec.Name);
        _values = NativeBlock.Allocate((long)pool * ValueStride, spec.Name);
        _valueMemory = [((nint)_values.Start, _values.Length)];
        _prefix = new uint[pool];
        _child0 = new int[pool];
        _child1 = new int[pool];
        _intermediate = new bool[pool];
        _free = new int[pool];
        for (int i = 0; i < pool; i++) _free[i] = pool - 1 - i;
        _freeCount = pool;
    }

    /// <inheritdoc/>
    public override IReadOnlyList<(nint Start, nint Length)> ValueMemory => _valueMemory;

    private byte* DataAt(int node) => _data.Start + (long)node * _dataSize;

    private byte* ValueAt(int node) => _values.Start + (long)node * ValueStride;

    private static int Bit(byte* data, uint index) => (data[index >> 3] >> (int)(7 - (index & 7))) & 1;

    private ref int Child(int node, int bit) => ref bit == 0 ? ref _child0[node] : ref _child1[node];

    // How many leading bits of the node's prefix and the key's agree, up to the shorter of the two prefixes.
    private uint Match(int node, byte* key)
    {
        uint limit = Math.Min(_prefix[node], *(uint*)key);
        byte* a = DataAt(node);
        byte* b = key + 4;
        uint bits = 0;
        while (bits < limit)
        {
            int diff = a[bits >> 3] ^ b[bits >> 3];
            if (diff != 0)
            {
                bits += (uint)BitOperations.LeadingZeroCount((uint)diff) - 24;
                break;
            }

            bits += 8;
        }

        return Math.Min(bits, limit);
    }

    private int Allocate(byte* data, uint prefix, bool intermediate)
    {
        int node = _free[--_freeCount];
        Buffer.MemoryCopy(data, DataAt(node), _dataSize, _dataSize);
        _prefix[node] = prefix;
        _child0[node] = _child1[node] = None;
        _intermediate[node] = intermediate;
        return node;
    }

    private void Release(int node) => _free[_freeCount++] = node;

    private int Longest(byte* key)
    {
        // A key longer than the trie's prefixes matches nothing (the kernel checks this before walking).
        if (*(uint*)key > _maxPrefix) return None;
        int found = None;
        int node = _root;
        while (node != None)
        {
            uint match = Match(node, key);
            if (match == _maxPrefix)
            {
                found = node;
                break;
            }

            if (match < _prefix[node]) break;
            if (!_intermediate[node]) found = node;
            node = Child(node, Bit(key + 4, _prefix[node]));
        }

        return found;
    }

    private protected override Errno LookupCore(ReadOnlySpan<byte> key, Span<byte> value)
    {
        fixed (byte* k = key)
        fixed (byte* v = value)
        {
            lock (_lock)
            {
                int node = Longest(k);
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
        lock (_lock)
        {
            int node = Longest(key);
            return node == None ? null : ValueAt(node);
        }
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
            // Descend while the node's whole prefix matches and is shorter than the key's.
            ref int slot = ref _root;
            int node = None;
            uint match = 0;
            while ((node = slot) != None)
            {
                match = Match(node, key);
                if (_prefix[node] != match || _prefix[node] == prefix) break;
                slot = ref Child(node, Bit(key + 4, _prefix[node]));
            }

            long error;
            int fresh;
            if (node == None)
            {
                if ((error = CheckAdd(flags)) != 0) return error;
                fresh = Allocate(key + 4, prefix, intermediate: false);
                CopyValue(ValueAt(fresh), value, ValueSize, intoMap: true);
                slot = fresh;
                return 0;
            }

            if (_prefix[node] == match)
            {
                // The same prefix: replace the entry, or give a fork node its value.
                if (!_intermediate[node])
                {
                    if (flags == (ulong)UpdateFlags.NoExist) return Fail(Errno.EEXIST);
                }
                else if ((error = CheckAdd(flags)) != 0)
                {
                    return error;
                }

                Buffer.MemoryCopy(key + 4, DataAt(node), _dataSize, _dataSize);
                _intermediate[node] = false;
                CopyValue(ValueAt(node), value, ValueSize, intoMap: true);
                return 0;
            }

            if ((error = CheckAdd(flags)) != 0) return error;
            fresh = Allocate(key + 4, prefix, intermediate: false);
            CopyValue(ValueAt(fresh), value, ValueSize, intoMap: true);
            if (match == prefix)
            {
                // The new prefix covers the node: it becomes the node's parent.
                Child(fresh, Bit(DataAt(node), match)) = node;
                slot = fresh;
                return 0;
            }

            // The two prefixes fork after match bits: a valueless node holds both.
            int fork = Allocate(DataAt(node), match, intermediate: true);
            int newSide = Bit(key + 4, match);
            Child(fork, newSide) = fresh;
            Child(fork, 1 - newSide) = node;
            slot = fork;
            return 0;
        }
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
            int parent = None;
            int node;
            uint match = 0;
            while ((node = slot) != None)
            {
                match = Match(node, key);
                if (_prefix[node] != match || _prefix[node] == prefix) break;
                parent = node;
                parentSlot = ref slot;
                slot = ref Child(node, Bit(key + 4, _prefix[node]));
            }

            if (node == None || _prefix[node] != prefix || _prefix[node] != match || _intermediate[node]) return Fail(Errno.ENOENT);
            _count--;

            int left = _child0[node], right = _child1[node];
            if (left != None && right != None)
            {
                // Still a fork between its two subtrees.
                _intermediate[node] = true;
                return 0;
            }

            if (parent != None && _intermediate[parent] && left == None && right == None)
            {
                // A leaf under a fork: the fork is no longer needed, the sibling takes its place.
                parentSlot = _child0[parent] == node ? _child1[parent] : _child0[parent];
                Release(parent);
                Release(node);
                return 0;
            }

            slot = left != None ? left : right;
            Release(node);
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
                        if (_prefix[node] != match || _prefix[node] == prefix) break;
                        node = Child(node, Bit(k + 4, _prefix[node]));
                    }

                    if (node != None && _prefix[node] == match && !_intermediate[node])
                    {
                        // Post-order successor: the leftmost entry of the right sibling subtree, else the first
                        // ancestor holding a value.
                        start = None;
                        int at = depth - 1;
                        while (at > 0 && found == None)
                        {
                            int up = path[at - 1];
                            if (_child0[up] == path[at] && _child1[up] != None)
                            {
                                start = _child1[up];
                                break;
                            }

                            if (!_intermediate[up]) found = up;
                            at--;
                        }

                        if (found == None && start == None) return Errno.ENOENT;
                    }
                }

                if (found == None) found = FirstInPostOrder(start);
                BinaryPrimitives.WriteUInt32LittleEndian(next, _prefix[found]);
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
            if (_intermediate[node])
            {
                node = _child0[node];
                continue;
            }

            found = node;
            node = _child0[node] != None ? _child0[node] : _child1[node];
        }

        return found;
    }

    private protected override void FreeMemory()
    {
        _data?.Dispose();
        _values?.Dispose();
    }
}
