namespace HeteroBpf.Tests;

/// <summary>Paths of the repository and of the test data copied beside the test binary.</summary>
public static class RepoPaths
{
    /// <summary>The repository root (the folder holding HeteroBpf.slnx), found upwards from the test binary.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>tests/data as copied to the output folder.</summary>
    public static string Data => Path.Combine(AppContext.BaseDirectory, "data");

    /// <summary>tests/fixtures as copied to the output folder.</summary>
    public static string Fixtures => Path.Combine(AppContext.BaseDirectory, "fixtures");

    /// <summary>Files matching <paramref name="pattern"/> under <paramref name="dir"/>; fails when there are none (a glob that matches nothing hides a broken test).</summary>
    public static string[] Glob(string dir, string pattern)
    {
        var files = Directory.Exists(dir) ? Directory.GetFiles(dir, pattern, SearchOption.AllDirectories) : [];
        Array.Sort(files, StringComparer.Ordinal);
        Assert.True(files.Length > 0, $"no files match {pattern} under {dir}");
        return files;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "HeteroBpf.slnx"))) return dir.FullName;
        }

        throw new InvalidOperationException("repository root (HeteroBpf.slnx) not found above " + AppContext.BaseDirectory);
    }
}
