using System.Reflection;
using System.Reflection.Emit;
using Xunit.Abstractions;

namespace Subclone.Tests.Layering;

/// <summary>
/// The engine's areas (Subclone.Data, .Cloning, .Training, …) depend on each other one way only, and the root
/// namespace (shared exceptions and utilities) depends on none of them. A type depends on
/// every type its signatures name (base type, interfaces, fields, properties, method parameters and returns, generic
/// arguments) and every type, method or field its method bodies reference (read from the IL), so a fully qualified
/// name in a body counts as much as a using directive does.
/// </summary>
public class NamespaceCycleTests(ITestOutputHelper output)
{
    static readonly Assembly Engine = typeof(Subclone.UserInputException).Assembly;

    const string Root = "Subclone";

    /// <summary>
    /// The area of a namespace: its first two parts (Subclone.Data.Images belongs to Subclone.Data), or
    /// <see cref="Root"/> for the root namespace's own types. Null for types outside the engine.
    /// </summary>
    static string? Area(Type? type)
    {
        while (type is { IsNested: true }) type = type.DeclaringType;
        if (type?.Namespace is not string ns || type.Assembly != Engine) return null;
        if (ns == Root) return Root;
        if (!ns.StartsWith(Root + ".", StringComparison.Ordinal)) return null;
        return string.Join('.', ns.Split('.').Take(2));
    }

    static IEnumerable<Type> Named(Type? type)
    {
        if (type is null) yield break;
        if (type.HasElementType) { foreach (var t in Named(type.GetElementType())) yield return t; yield break; }
        yield return type;
        if (type.IsGenericType && !type.IsGenericTypeDefinition)
            foreach (var argument in type.GetGenericArguments())
                foreach (var t in Named(argument)) yield return t;
    }

    static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);

    /// <summary>Types referenced by a method body's tokens.</summary>
    static IEnumerable<Type> BodyReferences(MethodBase method)
    {
        byte[]? il;
        try { il = method.GetMethodBody()?.GetILAsByteArray(); } catch (Exception) { yield break; }
        if (il is null) yield break;
        Type[]? typeArgs = method.DeclaringType is { IsGenericType: true } d ? d.GetGenericArguments() : null;
        Type[]? methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (int i = 0; i < il.Length;)
        {
            short value = il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i];
            i += il[i] == 0xFE ? 2 : 1;
            var op = OpCodesByValue[value];
            int size = op.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, i),
                _ => 4,
            };
            if (op.OperandType is OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineType or OperandType.InlineTok)
            {
                MemberInfo? member = null;
                try { member = method.Module.ResolveMember(BitConverter.ToInt32(il, i), typeArgs, methodArgs); } catch (Exception) { }
                switch (member)
                {
                    case Type t: foreach (var n in Named(t)) yield return n; break;
                    case MethodBase m:
                        foreach (var n in Named(m.DeclaringType)) yield return n;
                        if (m is MethodInfo mi) foreach (var n in Named(mi.ReturnType)) yield return n;
                        break;
                    case FieldInfo f: foreach (var n in Named(f.DeclaringType).Concat(Named(f.FieldType))) yield return n; break;
                }
            }
            i += size;
        }
    }

    static IEnumerable<Type> References(Type type)
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var named = new List<Type?> { type.BaseType };
        named.AddRange(type.GetInterfaces());
        named.AddRange(type.GetFields(all).Select(f => f.FieldType));
        named.AddRange(type.GetProperties(all).Select(p => p.PropertyType));
        var methods = type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all)).ToList();
        foreach (var m in methods)
        {
            named.AddRange(m.GetParameters().Select(p => p.ParameterType));
            if (m is MethodInfo mi) named.Add(mi.ReturnType);
        }
        return named.SelectMany(Named).Concat(methods.SelectMany(BodyReferences));
    }

    /// <summary>area → the areas it depends on, with one example type pair per edge for the message.</summary>
    static Dictionary<string, Dictionary<string, string>> Graph()
    {
        var graph = new Dictionary<string, Dictionary<string, string>>();
        foreach (var type in Engine.GetTypes())
        {
            if (Area(type) is not string from) continue;
            var edges = graph.TryGetValue(from, out var e) ? e : graph[from] = [];
            foreach (var used in References(type))
                if (Area(used) is string to && to != from) edges.TryAdd(to, $"{type.FullName} → {used.FullName}");
        }
        return graph;
    }

    static bool Reaches(Dictionary<string, Dictionary<string, string>> graph, string from, string to, HashSet<string> seen) =>
        graph.TryGetValue(from, out var edges) && edges.Keys.Any(next => next == to || (seen.Add(next) && Reaches(graph, next, to, seen)));

    [Fact]
    public void Data_Cloning_and_Training_depend_on_each_other_one_way_only()
    {
        var graph = Graph();
        foreach (var (from, edges) in graph.OrderBy(kv => kv.Key))
            output.WriteLine($"{from} → {string.Join(", ", edges.Keys.Order())}");
        string[] areas = ["Subclone.Data", "Subclone.Cloning", "Subclone.Training"];
        var cycles = (from a in areas from b in areas
                      where string.CompareOrdinal(a, b) < 0 && Reaches(graph, a, b, []) && Reaches(graph, b, a, [])
                      select $"{a} ⇄ {b} ({Edge(graph, a, b)}; {Edge(graph, b, a)})").ToList();
        Assert.True(cycles.Count == 0, string.Join("\n", cycles));
        // The direct dependencies this layering means: Cloning and Training read Data, Training uses Cloning.
        Assert.False(graph["Subclone.Data"].ContainsKey("Subclone.Cloning"), graph["Subclone.Data"].GetValueOrDefault("Subclone.Cloning"));
        Assert.False(graph["Subclone.Data"].ContainsKey("Subclone.Training"), graph["Subclone.Data"].GetValueOrDefault("Subclone.Training"));
        Assert.False(graph["Subclone.Cloning"].ContainsKey("Subclone.Training"), graph["Subclone.Cloning"].GetValueOrDefault("Subclone.Training"));
    }

    [Fact]
    public void No_cycle_among_the_areas_and_the_root_depends_on_none()
    {
        var graph = Graph();
        foreach (var (from, edges) in graph.OrderBy(kv => kv.Key))
            output.WriteLine($"{from} → {string.Join(", ", edges.Keys.Order())}");
        var areas = graph.Keys.Where(a => a != Root).Order(StringComparer.Ordinal).ToList();
        Assert.Contains("Subclone.Checkpoints", areas); // the graph sees the whole library, not just three areas
        Assert.Contains("Subclone.Gguf", areas);
        var cycles = (from a in areas from b in areas
                      where string.CompareOrdinal(a, b) < 0 && Reaches(graph, a, b, []) && Reaches(graph, b, a, [])
                      select $"{a} ⇄ {b} ({Edge(graph, a, b)}; {Edge(graph, b, a)})").ToList();
        Assert.True(cycles.Count == 0, string.Join("\n", cycles));
        // Every area may use the root's exceptions and utilities, so the root must use no area.
        var rootUses = graph.GetValueOrDefault(Root) ?? [];
        Assert.True(rootUses.Count == 0, string.Join("\n", rootUses.Values));
    }

    static string Edge(Dictionary<string, Dictionary<string, string>> graph, string from, string to) =>
        graph[from].TryGetValue(to, out var example) ? example : $"{from} reaches {to} through another area";

    [Fact]
    public void The_analysis_sees_references_made_only_inside_method_bodies()
    {
        // Cloning.CalibrationData builds ModelBatch lists from image batches inside a lambda: a body-only reference
        // to Subclone.Data.Images, which the graph must see for the test above to mean anything.
        Assert.Contains("Subclone.Data", Graph()["Subclone.Cloning"].Keys);
        Assert.Contains(BodyReferences(typeof(Subclone.Training.TrainingLoop).GetMethod("Run")!), t => t == typeof(Subclone.Training.TrainingSummary));
    }
}
