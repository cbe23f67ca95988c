namespace Subclone.Models.Families;

/// <summary>
/// Config fields that change the forward pass when set. A family lists in <see cref="ModelFamily.ImplementedFields"/>
/// the ones its module computes; any other one present (with a value that changes the forward) is refused by
/// name rather than ignored, so a parent is never silently computed as a different function.
/// </summary>
public static class ForwardFields
{
    /// <summary>Every forward-changing field Subclone knows of, across Hugging Face's decoder configs.</summary>
    public static IReadOnlyList<string> Known { get; } = [];
}
