using HeteroBpf.Helpers;

namespace HeteroBpf.Verifier;

/// <summary>Helper calls checked argument by argument against their prototype (the kernel's <c>check_helper_call</c>).</summary>
internal sealed partial class Walker
{
    private const int MaxVarSize = 1 << 29;

    internal static string HelperName(HelperId id) => "bpf_" + HelperPrototype.Screaming(id.ToString()).ToLowerInvariant();

    private bool GplCompatible => _program.License is "GPL" or "GPL v2" or "GPL and additional rights" or "Dual BSD/GPL" or "Dual MIT/GPL" or "Dual MPL/GPL";

    // bpf_helper_changes_pkt_data: after these, every packet pointer is stale.
    private static bool ChangesPacketData(HelperId id) => id is HelperId.SkbStoreBytes or HelperId.L3CsumReplace or HelperId.L4CsumReplace
        or HelperId.CloneRedirect or HelperId.SkbVlanPush or HelperId.SkbVlanPop or HelperId.SkbChangeProto or HelperId.SkbChangeType
        or HelperId.SkbChangeTail or HelperId.SkbPullData or HelperId.SkbChangeHead or HelperId.XdpAdjustHead or HelperId.SkbAdjustRoom
        or HelperId.XdpAdjustMeta or HelperId.MsgPullData or HelperId.XdpAdjustTail or HelperId.LwtPushEncap;

    private bool HelperCall(int i, int imm)
    {
        var id = (HelperId)imm;
        if (imm <= 0 || !Enum.IsDefined(id)) throw Fail(ErrorCode.VerifierHelperCall, $"invalid func unknown#{imm}");
        string name = HelperName(id);
        var proto = _type.GetHelper(id, _options.Privilege)
            ?? throw Fail(ErrorCode.VerifierHelperCall, $"program of this type cannot use helper {name}#{imm}");
        if (proto.GplOnly && !GplCompatible) throw Fail(ErrorCode.VerifierHelperCall, "cannot call GPL-restricted function from non-GPL compatible program");
        if (_cur.LockMap >= 0 && id != HelperId.SpinUnlock)
            throw Fail(ErrorCode.VerifierSpinLock, "function calls are not allowed while holding a lock");

        int mapIndex = -1;
        int funcTarget = -1;
        long allocSize = 0;
        int releaseRef = 0;
        var args = proto.Args;
        for (int a = 0; a < args.Length; a++)
        {
            var arg = args[a];
            int r = a + 1;
            if (arg.Type == HelperArgType.DontCare) continue;
            var reg = ReadReg(r);
            // Every scalar argument but an ARG_ANYTHING is checked for its value (a size, a constant, a null).
            if (reg.Type == RegisterType.Scalar && arg.Type != HelperArgType.Anything) MarkRegPrecise(r);
            bool maybeNull = (arg.Flags & HelperArgFlags.MaybeNull) != 0;
            bool isNull = reg.Type == RegisterType.Scalar && reg.Value.IsConst && reg.Value.VarOff.Value == 0;
            switch (arg.Type)
            {
                case HelperArgType.Anything:
                    if (reg.IsPointer && !_root) throw Fail(ErrorCode.VerifierPointerLeak, $"R{r} leaks addr into helper function");
                    break;
                case HelperArgType.ConstMapPtr:
                    if (reg.Type != RegisterType.ConstPtrToMap) throw TypeError(r, reg, "map_ptr");
                    mapIndex = reg.MapIndex;
                    break;
                case HelperArgType.PtrToMapKey:
                case HelperArgType.PtrToMapValue:
                {
                    if (mapIndex < 0) throw Fail(ErrorCode.VerifierHelperCall, "invalid map_ptr to access map->key");
                    if (!IsMemType(reg.Type)) throw TypeError(r, reg, "fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_");
                    var map = _maps[mapIndex];
                    int size = (int)(arg.Type == HelperArgType.PtrToMapKey ? map.KeySize : map.ValueSize);
                    if (size == 0) throw Fail(ErrorCode.VerifierInvalidAccess, $"R{r} invalid zero-sized read");
                    // A Bloom filter's peek reads the value it is asked about, although the prototype (shared with
                    // queues and stacks, whose peek fills it) says uninitialised memory is fine.
                    bool fills = (arg.Flags & HelperArgFlags.Uninit) != 0 && !(imm == (int)HelperId.MapPeekElem && map.Type == MapType.BloomFilter);
                    HelperMemory(r, size, write: fills, zeroOk: false);
                    break;
                }

                case HelperArgType.PtrToMem:
                    if (maybeNull && isNull) break;
                    if (!IsMemType(reg.Type)) throw TypeError(r, reg, "fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_");
                    if (a + 1 >= args.Length || args[a + 1].Type is not (HelperArgType.ConstSize or HelperArgType.ConstSizeOrZero))
                        throw Fail(ErrorCode.VerifierUnsupported, $"{name}#{imm}: a memory argument without a size is not supported");
                    break;
                case HelperArgType.ConstSize:
                case HelperArgType.ConstSizeOrZero:
                {
                    bool orZero = arg.Type == HelperArgType.ConstSizeOrZero;
                    if (reg.Type != RegisterType.Scalar) throw TypeError(r, reg, "scalar");
                    var v = reg.Value;
                    if (v.SMin < 0) throw Fail(ErrorCode.VerifierHelperCall, $"R{r} min value is negative, either use unsigned index or do a if (index >=0) check.");
                    if (v.UMin == 0 && !orZero) throw Fail(ErrorCode.VerifierHelperCall, $"R{r} invalid zero-sized read: u64=[{v.UMin},{v.UMax}]");
                    if (v.UMax >= MaxVarSize) throw Fail(ErrorCode.VerifierHelperCall, $"R{r} unbounded memory access, use 'var &= const' or 'if (var < const)'");
                    var memArg = args[a - 1];
                    var memReg = _cur.Regs[r - 1];
                    bool memNull = memReg.Type == RegisterType.Scalar && memReg.Value.IsConst && memReg.Value.VarOff.Value == 0;
                    if (memNull)
                    {
                        MarkRegPrecise(r - 1);
                        if (v.UMax != 0) throw Fail(ErrorCode.VerifierHelperCall, $"R{r - 1} type=scalar expected=fp");
                        break;
                    }

                    bool write = (memArg.Flags & HelperArgFlags.Uninit) != 0 || ((memArg.Flags & HelperArgFlags.ReadOnly) == 0 && WritesMemory(id));
                    if (v.UMax == 0 && orZero) break;
                    HelperMemory(r - 1, (int)v.UMax, write, orZero);
                    break;
                }

                case HelperArgType.PtrToCtx:
                    if (reg.Type != RegisterType.PtrToCtx) throw TypeError(r, reg, "ctx");
                    if (reg.Offset != 0 || !reg.Value.IsConst || reg.Value.VarOff.Value != 0)
                        throw Fail(ErrorCode.VerifierHelperCall, $"dereference of modified ctx ptr R{r} off={reg.Offset} disallowed");
                    break;
                case HelperArgType.PtrToFunc:
                    if (reg.Type != RegisterType.PtrToFunc) throw TypeError(r, reg, "func");
                    funcTarget = reg.Offset;
                    break;
                case HelperArgType.PtrToStack:
                    if (maybeNull && isNull) break;
                    if (reg.Type != RegisterType.PtrToStack) throw TypeError(r, reg, "fp");
                    break;
                case HelperArgType.PtrToSpinLock:
                    SpinLockArg(id, r, reg);
                    break;
                case HelperArgType.PtrToConstStr:
                    if (reg.Type != RegisterType.PtrToMapValue) throw TypeError(r, reg, "map_value");
                    if ((_maps[reg.MapIndex].Flags & MapFlags.ReadOnlyProg) == 0) throw Fail(ErrorCode.VerifierHelperCall, $"R{r} does not point to a readonly map'");
                    break;
                case HelperArgType.ConstAllocSizeOrZero:
                    if (reg.Type != RegisterType.Scalar || !reg.Value.IsConst) throw Fail(ErrorCode.VerifierHelperCall, $"R{r} is not a known constant'");
                    allocSize = (long)reg.Value.VarOff.Value;
                    break;
                case HelperArgType.PtrToAllocMem:
                    if (reg.Type != RegisterType.PtrToMem) throw TypeError(r, reg, "ringbuf_mem");
                    if (reg.Offset != 0 || !reg.Value.IsConst || reg.Value.VarOff.Value != 0)
                        throw Fail(ErrorCode.VerifierHelperCall, $"R{r} must have zero offset when passed to release func or trusted arg to kfunc");
                    if (reg.RefId == 0 || !_cur.Refs.Any(x => x.Id == reg.RefId))
                        throw Fail(ErrorCode.VerifierHelperCall, $"R{r} arg #{a + 1} is an unacquired reference");
                    releaseRef = reg.RefId;
                    break;
                case HelperArgType.PtrToSockCommon:
                    if (reg.Type is not (RegisterType.PtrToSockCommon or RegisterType.PtrToSocket)) throw TypeError(r, reg, "sock_common, sock, tcp_sock, xdp_sock, ptr_");
                    break;
                case HelperArgType.PtrToSocket:
                    if (reg.Type != RegisterType.PtrToSocket) throw TypeError(r, reg, "sock");
                    break;
                case HelperArgType.PtrToBtfIdSockCommon:
                    if (reg.Type is not (RegisterType.PtrToSockCommon or RegisterType.PtrToSocket)) throw TypeError(r, reg, "sock_common, sock, tcp_sock, xdp_sock, ptr_");
                    if (id == HelperId.SkRelease)
                    {
                        if (reg.RefId == 0 || !_cur.Refs.Any(x => x.Id == reg.RefId))
                            throw Fail(ErrorCode.VerifierHelperCall, $"R{r} arg #{a + 1} is an unacquired reference");
                        releaseRef = reg.RefId;
                    }

                    break;
                default:
                    throw Fail(ErrorCode.VerifierUnsupported, $"{name}#{imm}: argument type {arg} is not supported by this verifier");
            }
        }

        if (mapIndex >= 0) MapCompatible(id, imm, name, _maps[mapIndex]);
        else if (MapFunc(id) is not null) throw Fail(ErrorCode.VerifierHelperCall, $"{name}#{imm} needs a map argument");

        if (releaseRef != 0)
        {
            _cur.Refs = [.. _cur.Refs.Where(x => x.Id != releaseRef)];
            int rid = releaseRef;
            _cur.ForEachReg((ref RegisterState x) =>
            {
                if (x.RefId == rid) x = _root ? RegisterState.UnknownScalar : RegisterState.NotInit;
            });
        }

        if (id == HelperId.SpinLock)
        {
            var lockReg = _cur.Regs[1];
            _cur.LockMap = lockReg.MapIndex;
            _cur.LockId = lockReg.Id;
            _cur.LockOffset = lockReg.Offset;
        }
        else if (id == HelperId.SpinUnlock)
        {
            _cur.LockMap = -1;
            _cur.LockId = 0;
            _cur.LockOffset = 0;
        }

        // An array lookup with a constant key inside the array cannot fail (Linux 6.x returns a non-null value then).
        int keySlot = -1;
        bool neverNull = id == HelperId.MapLookupElem && mapIndex >= 0 && _maps[mapIndex].Type is MapType.Array or MapType.PerCpuArray
            && ConstantKey(_cur.Regs[2], out keySlot) is { } key && key < _maps[mapIndex].MaxEntries;
        // The verdict rests on the spilled key's value.
        if (neverNull && keySlot >= 0) MarkSlotPrecise(_cur.Regs[2].Frame, keySlot);

        // The callback's arguments, read before the call clobbers R1–R5.
        RegisterState[]? callbackArgs = null;
        if (funcTarget >= 0)
        {
            var ctxArg = id == HelperId.ForEachMapElem ? _cur.Regs[3] : _cur.Regs[3];
            callbackArgs = id switch
            {
                HelperId.Loop => [RegisterState.UnknownScalar, ctxArg],
                HelperId.ForEachMapElem =>
                [
                    Pointer(RegisterType.ConstPtrToMap) with { MapIndex = mapIndex },
                    Pointer(RegisterType.PtrToMapKey) with { MapIndex = mapIndex },
                    Pointer(RegisterType.PtrToMapValue) with { MapIndex = mapIndex },
                    ctxArg,
                ],
                _ => throw Fail(ErrorCode.VerifierUnsupported, $"{name}#{imm}: callbacks of this helper are not supported by this verifier"),
            };
        }

        if (ChangesPacketData(id))
        {
            _cur.ForEachReg((ref RegisterState x) =>
            {
                if (x.Type is RegisterType.PtrToPacket or RegisterType.PtrToPacketMeta or RegisterType.PtrToPacketEnd)
                    x = _root ? RegisterState.UnknownScalar : RegisterState.NotInit;
            });
        }

        RegisterState ret = proto.Returns switch
        {
            HelperReturn.Integer => RegisterState.UnknownScalar,
            HelperReturn.Void => RegisterState.NotInit,
            HelperReturn.PtrToMapValueOrNull when neverNull => Pointer(RegisterType.PtrToMapValue) with { MapIndex = mapIndex, Id = _maps[mapIndex].SpinLockOffset is not null ? NewId() : 0 },
            HelperReturn.PtrToMapValueOrNull => Pointer(RegisterType.PtrToMapValueOrNull) with { MapIndex = mapIndex, Id = NewId() },
            HelperReturn.PtrToRingBufMemOrNull => RingbufRecord(i, allocSize),
            HelperReturn.PtrToMapValue => Pointer(RegisterType.PtrToMapValue) with { MapIndex = mapIndex },
            HelperReturn.PtrToSocketOrNull => Acquired(i, RegisterType.PtrToSocketOrNull),
            HelperReturn.PtrToSockCommonOrNull => Acquired(i, RegisterType.PtrToSockCommonOrNull),
            _ => throw Fail(ErrorCode.VerifierUnsupported, $"{name}#{imm}: return type {proto.Returns} is not supported by this verifier"),
        };
        for (int r = 1; r <= 5; r++) _cur.Regs[r] = RegisterState.NotInit;
        _cur.Regs[0] = ret;
        if (callbackArgs is not null)
        {
            EnterCallback(i, funcTarget, callbackArgs);
            return true;
        }

        _cur.Insn = i + 1;
        return true;
    }

    // The u32 key a stack pointer points at, when the stack holds a known constant there.
    private ulong? ConstantKey(in RegisterState key, out int spillSlot)
    {
        spillSlot = -1;
        if (key.Type != RegisterType.PtrToStack || !key.Value.IsConst) return null;
        long at = key.Offset + (long)key.Value.VarOff.Value;
        if (at < -FuncFrame.StackSize || at + 4 > 0) return null;
        var frame = _cur.Frames[key.Frame];
        int p = (int)at + FuncFrame.StackSize;
        bool zero = true;
        for (int i = 0; i < 4; i++) zero &= frame.Bytes[p + i] == StackByte.Zero;
        if (zero) return 0;
        if (p % 8 != 0 || frame.Bytes[p] != StackByte.Spill) return null;
        for (int i = 0; i < 4; i++)
        {
            if (frame.Bytes[p + i] != StackByte.Spill) return null;
        }

        var spilled = frame.Spills[p / 8];
        spillSlot = p / 8;
        return spilled.Type == RegisterType.Scalar && spilled.Value.IsConst ? (uint)spilled.Value.VarOff.Value : null;
    }

    private RegisterState Acquired(int i, RegisterType type)
    {
        int refId = NewId();
        _cur.Refs = [.. _cur.Refs, new HeldReference(refId, i)];
        return Pointer(type) with { Id = refId, RefId = refId };
    }

    private RegisterState RingbufRecord(int i, long size)
    {
        int refId = NewId();
        _cur.Refs = [.. _cur.Refs, new HeldReference(refId, i)];
        return Pointer(RegisterType.PtrToMemOrNull) with { Id = refId, RefId = refId, Range = (int)Math.Min(size, int.MaxValue) };
    }

    // Helpers whose memory argument (without MEM_RDONLY) is written rather than read.
    private static bool WritesMemory(HelperId id) => id is HelperId.SkbLoadBytes or HelperId.ProbeRead or HelperId.ProbeReadKernel
        or HelperId.ProbeReadUser or HelperId.ProbeReadStr or HelperId.ProbeReadKernelStr or HelperId.ProbeReadUserStr
        or HelperId.GetCurrentComm or HelperId.GetStack or HelperId.SkbLoadBytesRelative or HelperId.XdpLoadBytes or HelperId.Snprintf;

    private static bool IsMemType(RegisterType t) => t is RegisterType.PtrToStack or RegisterType.PtrToPacket or RegisterType.PtrToPacketMeta
        or RegisterType.PtrToMapKey or RegisterType.PtrToMapValue or RegisterType.PtrToMem;

    private VerifierException TypeError(int r, in RegisterState reg, string expected) =>
        Fail(ErrorCode.VerifierHelperCall, $"R{r} type={VerifierLog.TypeName(reg)} expected={expected}");

    private void SpinLockArg(HelperId id, int r, in RegisterState reg)
    {
        if (reg.Type != RegisterType.PtrToMapValue) throw TypeError(r, reg, "map_value");
        var map = _maps[reg.MapIndex];
        if (!reg.Value.IsConst)
            throw Fail(ErrorCode.VerifierSpinLock, $"R{r} doesn't have constant offset. bpf_spin_lock has to be at the constant offset");
        if (map.BtfValueTypeId == 0 && map.SpinLockOffset is null)
            throw Fail(ErrorCode.VerifierSpinLock, $"map '{map.Name}' has to have BTF in order to use bpf_spin_lock");
        if (map.SpinLockOffset is not int at)
            throw Fail(ErrorCode.VerifierSpinLock, $"map '{map.Name}' has no valid bpf_spin_lock");
        long off = reg.Offset + (long)reg.Value.VarOff.Value;
        if (off != at) throw Fail(ErrorCode.VerifierSpinLock, $"off {off} doesn't point to 'struct bpf_spin_lock' that is at {at}");
        if (id == HelperId.SpinLock)
        {
            if (_cur.LockMap >= 0) throw Fail(ErrorCode.VerifierSpinLock, "Locking two bpf_spin_locks are not allowed");
            return;
        }

        if (_cur.LockMap < 0) throw Fail(ErrorCode.VerifierSpinLock, "bpf_spin_unlock without taking a lock");
        if (_cur.LockMap != reg.MapIndex || _cur.LockId != reg.Id || _cur.LockOffset != reg.Offset)
            throw Fail(ErrorCode.VerifierSpinLock, "bpf_spin_unlock of different lock");
    }

    // The map types a helper requires, or null for helpers that take any ordinary map.
    private static MapType[]? MapFunc(HelperId id) => id switch
    {
        HelperId.TailCall => [MapType.ProgArray],
        HelperId.PerfEventRead or HelperId.PerfEventOutput or HelperId.PerfEventReadValue or HelperId.SkbOutput or HelperId.XdpOutput => [MapType.PerfEventArray],
        HelperId.RingbufOutput or HelperId.RingbufReserve or HelperId.RingbufQuery => [MapType.RingBuf],
        HelperId.GetStackid => [MapType.StackTrace],
        HelperId.SkbUnderCgroup or HelperId.CurrentTaskUnderCgroup => [MapType.CgroupArray],
        HelperId.RedirectMap => [MapType.DevMap, MapType.DevMapHash, MapType.CpuMap, MapType.XskMap],
        HelperId.MapPopElem => [MapType.Queue, MapType.Stack],
        HelperId.MapPeekElem or HelperId.MapPushElem => [MapType.Queue, MapType.Stack, MapType.BloomFilter],
        HelperId.ForEachMapElem => [MapType.Hash, MapType.LruHash, MapType.Array, MapType.PerCpuHash, MapType.PerCpuArray, MapType.LruPerCpuHash],
        _ => null,
    };

    // The kernel's check_map_func_compatibility, both ways: what the map allows and what the helper needs.
    private void MapCompatible(HelperId id, int imm, string name, MapSpec map)
    {
        HelperId[]? allowed = map.Type switch
        {
            MapType.ProgArray => [HelperId.TailCall],
            MapType.PerfEventArray => [HelperId.PerfEventRead, HelperId.PerfEventOutput, HelperId.PerfEventReadValue, HelperId.SkbOutput, HelperId.XdpOutput],
            MapType.RingBuf => [HelperId.RingbufOutput, HelperId.RingbufReserve, HelperId.RingbufQuery, HelperId.RingbufReserveDynptr],
            MapType.StackTrace => [HelperId.GetStackid],
            MapType.CgroupArray => [HelperId.SkbUnderCgroup, HelperId.CurrentTaskUnderCgroup],
            MapType.DevMap or MapType.DevMapHash => [HelperId.RedirectMap, HelperId.MapLookupElem],
            MapType.CpuMap => [HelperId.RedirectMap],
            MapType.XskMap => [HelperId.RedirectMap, HelperId.MapLookupElem],
            MapType.Queue or MapType.Stack => [HelperId.MapPeekElem, HelperId.MapPopElem, HelperId.MapPushElem],
            MapType.BloomFilter => [HelperId.MapPeekElem, HelperId.MapPushElem],
            _ => null,
        };
        bool ok = allowed is null || allowed.Contains(id);
        if (ok && MapFunc(id) is { } needs) ok = needs.Contains(map.Type);
        if (ok) return;
        if (id == HelperId.TailCall) throw Fail(ErrorCode.VerifierHelperCall, $"cannot pass map_type {(int)map.Type} into func {name}#{imm}: expected prog array map for tail call");
        throw Fail(ErrorCode.VerifierHelperCall, $"cannot pass map_type {(int)map.Type} into func {name}#{imm}");
    }
}
