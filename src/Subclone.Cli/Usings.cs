// The engine's namespaces and System.CommandLine are what every command is written in; naming them once here keeps
// each command file to its options and its action.
global using System.CommandLine;
global using System.Text.Json.Nodes;
global using Subclone.Checkpoints;
global using Subclone.Cloning;
global using Subclone.Data;
global using Subclone.Models;
global using Subclone.Training;
global using Subclone.Models.Families;
