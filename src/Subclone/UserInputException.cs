namespace Subclone;

/// <summary>A request that cannot be carried out as given (impossible shape, unknown option value): one line for the user.</summary>
public class UserInputException(string message) : Exception(message);
