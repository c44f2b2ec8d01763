// The MiMo plugin: the glue in src/main/java plus the core (../core/src/main/java, plain Java 17 + gson, tested
// on its own by ../scripts/test.sh). IntelliJ Platform Gradle Plugin 2.x; LSP4IJ comes from JetBrains Marketplace.
plugins {
    id("java")
    id("org.jetbrains.intellij.platform") version "2.11.0"
}

group = "dev.mimo"
version = providers.gradleProperty("pluginVersion").get()

java {
    toolchain {
        languageVersion = JavaLanguageVersion.of(21)
    }
}

tasks.withType<JavaCompile>().configureEach {
    options.release = 21 // the IntelliJ Platform 2025.3 is Java 21 bytecode; the core also compiles with --release 17 (scripts/test.sh)
    options.encoding = "UTF-8"
}

sourceSets {
    main {
        // The core's sources are compiled into the plugin (one jar, one class loader).
        java.srcDirs("src/main/java", "../core/src/main/java")
    }
}

repositories {
    mavenCentral()
    intellijPlatform {
        defaultRepositories()
    }
}

dependencies {
    intellijPlatform {
        intellijIdea(providers.gradleProperty("platformVersion"))
        val lsp4ij = providers.gradleProperty("lsp4ijVersion").getOrElse("")
        if (lsp4ij.isBlank()) compatiblePlugin("com.redhat.devtools.lsp4ij")
        else plugin("com.redhat.devtools.lsp4ij", lsp4ij)
    }
    // gson is part of the IntelliJ Platform at run time; compileOnly keeps it out of the plugin's jar.
    compileOnly("com.google.code.gson:gson:2.11.0")
}

intellijPlatform {
    pluginConfiguration {
        version = providers.gradleProperty("pluginVersion")
        ideaVersion {
            sinceBuild = providers.gradleProperty("pluginSinceBuild")
        }
    }
}
