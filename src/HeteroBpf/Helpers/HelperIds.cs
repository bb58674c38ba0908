using System.Globalization;

namespace HeteroBpf.Helpers;

/// <summary>Text for helper ids as they appear in messages.</summary>
public static class HelperIds
{
    /// <summary>The id with its kernel name when it has one: <c>12 (TailCall)</c>, or just <c>4242</c>.</summary>
    public static string Describe(int id) =>
        Enum.IsDefined((HelperId)id) ? $"{id} ({(HelperId)id})" : id.ToString(CultureInfo.InvariantCulture);
}
