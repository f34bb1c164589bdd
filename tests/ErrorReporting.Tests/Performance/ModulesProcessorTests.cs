using System.Reflection;
using ErrorReporting.Processors;

namespace ErrorReporting.Tests.Performance;

/// <summary>The modules list is computed once and again only after an assembly loads, never per event.</summary>
public sealed class ModulesProcessorTests
{
    [Fact]
    public void Current_NoAssemblyLoaded_SameListAsBefore()
    {
        var processor = new ModulesProcessor(ReportAssembliesMode.Version);

        var first = processor.Current();
        var second = processor.Current();

        Assert.Same(first, second);
    }

    [Fact]
    public void Process_AssemblyLoadedSinceTheLastEvent_ListedInTheNextEvent()
    {
        // A framework assembly that nothing here loads otherwise.
        const string Name = "Microsoft.VisualBasic.Core";
        Assert.DoesNotContain(AppDomain.CurrentDomain.GetAssemblies(), a => a.GetName().Name == Name);
        var processor = new ModulesProcessor(ReportAssembliesMode.Version);
        var before = processor.Process(new SentryEvent())!;

        var loaded = Assembly.Load(Name);
        var after = processor.Process(new SentryEvent())!;

        Assert.DoesNotContain(Name, before.Modules.Keys);
        Assert.Equal(loaded.GetName().Version!.ToString(), after.Modules[Name]);
    }

    [Fact]
    public void Constructor_ModeNone_Throws()
        => Assert.Throws<ArgumentOutOfRangeException>(() => new ModulesProcessor(ReportAssembliesMode.None));
}
