using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace HeteroBpf.Helpers;

/// <summary>Where <c>bpf_trace_printk</c> writes: the lines of the runs that share it, in order (the kernel's trace_pipe).</summary>
public sealed class TraceLog
{
    private readonly ConcurrentQueue<string> _lines = new();

    /// <summary>Appends one formatted message.</summary>
    public void Write(string line) => _lines.Enqueue(line);

    /// <summary>Takes every message written so far, oldest first.</summary>
    public IReadOnlyList<string> Drain()
    {
        var lines = new List<string>();
        while (_lines.TryDequeue(out var line)) lines.Add(line);
        return lines;
    }
}

/// <summary>
/// <c>bpf_trace_printk</c> and <c>bpf_snprintf</c> with the kernel's format rules (<c>bpf_bprintf_prepare</c>):
/// <c>%d %i %u %x %X %c %s %%</c>, with <c>l</c>/<c>ll</c> for 64 bits, flags <c>0 + - space</c> and a width; no
/// precision and no <c>%p</c> family here (such a format is -EINVAL). trace_printk takes at most 3 arguments and
/// returns the length written; snprintf takes up to 12 (an array of u64) and returns the length needed with its NUL.
/// </summary>
public sealed class PrintfHelpers(TraceLog log)
{
    /// <summary>Most arguments <c>bpf_trace_printk</c> takes.</summary>
    public const int MaxTracePrintkArgs = 3;

    /// <summary>Most arguments <c>bpf_snprintf</c> takes (MAX_BPRINTF_VARARGS).</summary>
    public const int MaxSnprintfArgs = 12;

    /// <summary>The kernel's output buffer (MAX_BPRINTF_BUF): longer output is cut.</summary>
    public const int MaxOutput = 1024;

    /// <summary>Longest string a <c>%s</c> copies (the kernel's MAX_BPRINTF_STR_LEN).</summary>
    public const int MaxStringArg = 128;

    private static readonly ulong Einval = unchecked((ulong)-(long)Errno.EINVAL);

    /// <summary>The log trace_printk writes to.</summary>
    public TraceLog Log { get; } = log ?? throw new ArgumentNullException(nameof(log));

    /// <summary><paramref name="registry"/> with trace_printk and snprintf writing to <see cref="Log"/>.</summary>
    public HelperRegistry AddTo(HelperRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return registry.With(HelperId.TracePrintk, TracePrintk).With(HelperId.Snprintf, Snprintf);
    }

    private ulong TracePrintk(ref HelperCall call)
    {
        var fmt = call.Bytes(call.R1, (uint)call.R2, false, "R1 (fmt)");
        int end = fmt.IndexOf((byte)0);
        if (end < 0) return Einval;
        Span<ulong> args = [call.R3, call.R4, call.R5];
        var text = new StringBuilder();
        if (!TryFormat(fmt[..end], args, ref call, text)) return Einval;
        if (text.Length > MaxOutput - 1) text.Length = MaxOutput - 1;
        Log.Write(text.ToString());
        return (ulong)Encoding.Latin1.GetByteCount(text.ToString());
    }

    private ulong Snprintf(ref HelperCall call)
    {
        uint size = (uint)call.R2;
        ulong dataLength = (uint)call.R5;
        if (dataLength % 8 != 0 || dataLength / 8 > MaxSnprintfArgs) return Einval;
        var fmt = ReadString(ref call, call.R3, int.MaxValue, "R3 (fmt)", fault: true, out bool terminated);
        if (!terminated) return Einval;
        var data = call.Bytes(call.R4, dataLength, false, "R4 (data)");
        Span<ulong> args = stackalloc ulong[(int)(dataLength / 8)];
        for (int i = 0; i < args.Length; i++) args[i] = BitConverter.ToUInt64(data[(i * 8)..]);
        var text = new StringBuilder();
        if (!TryFormat(fmt, args, ref call, text)) return Einval;
        var bytes = Encoding.Latin1.GetBytes(text.ToString());
        var output = call.Bytes(call.R1, size, true, "R1 (str)");
        if (!output.IsEmpty)
        {
            int n = Math.Min(bytes.Length, output.Length - 1);
            bytes.AsSpan(0, n).CopyTo(output);
            output[n] = 0;
        }

        return (ulong)bytes.Length + 1;
    }

    // The bytes at address up to (not including) the first NUL, at most max, within one readable region; when fault is
    // false an unreadable string reads as empty (the kernel's %s copies with a nofault copy and prints nothing on failure).
    private static ReadOnlySpan<byte> ReadString(ref HelperCall call, ulong address, int max, string argument, bool fault, out bool terminated)
    {
        terminated = false;
        foreach (var region in call.Memory.Regions)
        {
            if (!region.Contains(address, 1)) continue;
            int length = (int)Math.Min(region.End - address, (ulong)max);
            var bytes = call.Bytes(address, (ulong)length, false, argument);
            int nul = bytes.IndexOf((byte)0);
            terminated = nul >= 0;
            return terminated ? bytes[..nul] : bytes;
        }

        if (fault) call.Bytes(address, 1, false, argument + " is not a NUL-terminated string");
        return [];
    }

    private static bool TryFormat(scoped ReadOnlySpan<byte> fmt, scoped ReadOnlySpan<ulong> args, ref HelperCall call, StringBuilder text)
    {
        int used = 0;
        for (int i = 0; i < fmt.Length; i++)
        {
            byte c = fmt[i];
            if (c != '%')
            {
                // The kernel refuses formats with non-printable, non-space characters.
                if (c >= 0x80 || (c < 0x20 && c is not ((byte)'\n' or (byte)'\t' or (byte)'\r'))) return false;
                text.Append((char)c);
                continue;
            }

            if (++i >= fmt.Length) return false;
            if (fmt[i] == '%')
            {
                text.Append('%');
                continue;
            }

            bool zero = false, left = false, plus = false, space = false;
            for (; i < fmt.Length && fmt[i] is (byte)'0' or (byte)'+' or (byte)'-' or (byte)' '; i++)
            {
                zero |= fmt[i] == '0';
                plus |= fmt[i] == '+';
                left |= fmt[i] == '-';
                space |= fmt[i] == ' ';
            }

            int width = 0;
            for (; i < fmt.Length && fmt[i] is >= (byte)'0' and <= (byte)'9'; i++) width = Math.Min(width * 10 + (fmt[i] - '0'), 4096);
            if (i >= fmt.Length) return false;
            if (used >= args.Length) return false;
            ulong arg = args[used++];
            string body;
            char conv = (char)fmt[i];
            if (conv == 'c')
            {
                body = ((char)(byte)arg).ToString();
            }
            else if (conv == 's')
            {
                body = Encoding.Latin1.GetString(ReadString(ref call, arg, MaxStringArg - 1, "%s", fault: false, out _));
            }
            else
            {
                int longs = 0;
                for (; i < fmt.Length && fmt[i] == 'l' && longs < 2; i++) longs++;
                if (i >= fmt.Length) return false;
                conv = (char)fmt[i];
                bool wide = longs > 0;
                switch (conv)
                {
                    case 'd':
                    case 'i':
                        long signed = wide ? (long)arg : (int)arg;
                        body = signed.ToString(CultureInfo.InvariantCulture);
                        if (signed >= 0 && plus) body = "+" + body;
                        else if (signed >= 0 && space) body = " " + body;
                        break;
                    case 'u':
                        body = (wide ? arg : (uint)arg).ToString(CultureInfo.InvariantCulture);
                        break;
                    case 'x':
                    case 'X':
                        body = (wide ? arg : (uint)arg).ToString(conv == 'x' ? "x" : "X", CultureInfo.InvariantCulture);
                        break;
                    default:
                        return false;
                }
            }

            Pad(text, body, width, left, zero && !left && conv is not ('c' or 's'));
        }

        return true;
    }

    private static void Pad(StringBuilder text, string body, int width, bool left, bool zero)
    {
        int pad = Math.Max(0, width - body.Length);
        if (left)
        {
            text.Append(body).Append(' ', pad);
        }
        else if (zero && pad > 0 && body.Length > 0 && body[0] is '-' or '+' or ' ')
        {
            text.Append(body[0]).Append('0', pad).Append(body, 1, body.Length - 1);
        }
        else
        {
            text.Append(zero ? '0' : ' ', pad).Append(body);
        }
    }
}
